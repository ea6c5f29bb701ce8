#pragma once
/** @file
 * How a repository writes a model so that its signals (and so its events) can never be skipped:
 * the signals and the write share one transaction, and bulk writes signal once per row.
 */
#include <utility>
#include <vector>

#include "domain_events/storage/database.hpp"
#include "domain_events/publish/model_signals.hpp"

namespace domain_events {
namespace detail {

template <class Write>
model_change write_with_signals(database& db, signal<database&, const model_change&>& before,
                                signal<database&, const model_change&>& after, model_change change, Write& write) {
    return db.atomic([&] {
        before.send(change.model, db, change);
        write(change);
        after.send(change.model, db, change);
        return std::move(change);
    });
}

}  // namespace detail

/**
 * @brief Saves one row: `pre_save`, `write(change)`, `post_save`, all in one transaction.
 *
 * `write` runs the SQL and fills in what it learns (the id after an insert, the new version,
 * the changed fields). Any exception (from `write` or a receiver) rolls everything back.
 * @return the change as the receivers of `post_save` saw it.
 */
template <class Write>
model_change save_model(database& db, model_signals& signals, model_change change, Write&& write) {
    return detail::write_with_signals(db, signals.pre_save, signals.post_save, std::move(change), write);
}

/** @brief Deletes one row: `pre_delete`, `write(change)`, `post_delete`, in one transaction. */
template <class Write>
model_change delete_model(database& db, model_signals& signals, model_change change, Write&& write) {
    return detail::write_with_signals(db, signals.pre_delete, signals.post_delete, std::move(change), write);
}

/**
 * @brief Saves many rows in ONE transaction with each row's own signals, so a bulk save records
 *        one event per row (unlike Django's `bulk_create`, which sends no signals).
 */
template <class Write>
std::vector<model_change> save_models(database& db, model_signals& signals, std::vector<model_change> changes,
                                      Write&& write) {
    return db.atomic([&] {
        std::vector<model_change> saved;
        saved.reserve(changes.size());
        for (auto& change : changes) saved.push_back(save_model(db, signals, std::move(change), write));
        return saved;
    });
}

}  // namespace domain_events
