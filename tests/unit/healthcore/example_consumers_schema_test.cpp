// The example consumers create their tables through the consumer's schema hook
// (consumer_program::schema, given to consumer_options::schema). A database made before that,
// when each program ran its SQL itself and recorded no version, holds the tables already: it
// must still open, keep its rows, and be recorded at version 1.
#include <gtest/gtest.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/ops/consumer_program.hpp>
#include <domain_events/storage/database.hpp>
#include <healthcore/consumers/audit_log.hpp>
#include <healthcore/consumers/notifications.hpp>
#include <healthcore/consumers/patient_directory.hpp>

#include <string>
#include <vector>

#include "prefixed_config.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
namespace hcc = healthcore::consumers;

namespace {

struct old_database {
    de::consumer_program program;
    std::string table;       // one of its tables
    std::string insert_row;  // a row of it, as the old version's handlers wrote it
};

de::consumer_options options_for(const de::consumer_program& program, const std::string& path) {
    de::consumer_options o;
    o.group_id = program.default_group;
    o.event_types = program.default_events;
    o.database_path = path;
    return o;
}

TEST(example_consumers_schema, a_database_made_before_the_schema_hook_opens_keeps_its_rows_and_is_recorded_at_version_1) {
    auto settings = dt::prefixed_config();
    settings.bootstrap_servers = "127.0.0.1:1";  // never contacted: nothing runs
    const std::vector<old_database> olds = {
        {hcc::audit_log_program(), "audit_log",
         "INSERT INTO audit_log VALUES ('e-1', 'patient.created', 'patient', '1', 1, '2026-01-01T00:00:00.000Z', "
         "'clinic', NULL, '{}')"},
        {hcc::notifications_program(), "notification",
         "INSERT INTO notification (event_id, appointment_id, kind, due_at, message, status) VALUES ('e-1', 7, "
         "'reminder', '2026-03-01T08:30:00.000Z', 'Reminder', 'scheduled')"},
        {hcc::patient_directory_program(), "directory_patient",
         "INSERT INTO directory_patient VALUES (1, 'Ada', 'ada@example.org', '', '1815-12-10', "
         "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1)"},
    };
    for (const auto& old : olds) {
        SCOPED_TRACE(old.program.name);
        ASSERT_EQ(old.program.schema.version, 1);
        dt::temp_dir dir;
        const auto path = dir.file(old.program.default_database);
        {
            // The old version: the consumer's own tables, then the program's SQL run by the
            // program itself, no version recorded for the handlers' tables; then an event applied.
            { de::consumer made_by_the_old_version(settings, options_for(old.program, path)); }
            de::database db(path);
            db.execute(old.program.schema.sql);
            db.execute(old.insert_row);
        }

        EXPECT_NO_THROW((void)de::make_program_consumer(old.program, settings, options_for(old.program, path), {}));

        de::database db(path);
        EXPECT_EQ(dt::scalar(db, "SELECT count(*) FROM " + old.table), 1) << "the old rows are kept";
        EXPECT_EQ(dt::scalar(db, "SELECT version FROM domain_events_schema WHERE component = 'handlers'"), 1);
    }
}

}  // namespace
