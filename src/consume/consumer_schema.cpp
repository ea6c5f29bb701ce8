#include "domain_events/consume/consumer_schema.hpp"

#include <string>

#include "domain_events/storage/database.hpp"
#include "domain_events/error.hpp"
#include "storage/schema_versions.hpp"

namespace domain_events {

void apply_consumer_schema(database& db, const consumer_schema& schema) {
    if (schema.version < 0) {
        throw config_error("consumer_options.schema.version: " + std::to_string(schema.version) + " is negative");
    }
    if (schema.version == 0) return;
    if (schema.sql.empty() == !schema.migrate) {
        throw config_error("consumer_options.schema: give either sql or migrate, not " +
                           std::string(schema.sql.empty() ? "neither" : "both"));
    }
    db.atomic([&] {
        const int current = detail::schema_version(db, "handlers");
        if (current > schema.version) {
            throw usage_error("the handlers' schema in '" + db.path() + "' is version " + std::to_string(current) +
                              ", newer than this program's " + std::to_string(schema.version));
        }
        if (current == schema.version) return;
        if (schema.migrate) {
            schema.migrate(db, current);
        } else {
            db.execute(schema.sql);
        }
        detail::record_schema_version(db, "handlers", schema.version);
    });
}

}  // namespace domain_events
