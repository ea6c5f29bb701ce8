#pragma once
/** @file
 * `notification-consumer`: `appointment.booked` schedules a reminder 24 hours before the
 * appointment, `appointment.cancelled` records a cancellation notice and withdraws the reminder.
 * One `notification` row per event at most (the event id is unique there too).
 */
#include <domain_events/ops/consumer_program.hpp>

namespace healthcore::consumers {

/**
 * @brief The notifications: group `notifications`, events
 *        `appointment.booked,appointment.cancelled`, file `notifications.db`. Under
 *        `per_event_type` a cancellation can be read before its booking: the reminder is then
 *        recorded already withdrawn.
 */
[[nodiscard]] domain_events::consumer_program notifications_program();

}  // namespace healthcore::consumers
