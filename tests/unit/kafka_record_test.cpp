// The record an event becomes: the headers the relay sends, and its size as Kafka counts it.
#include <gtest/gtest.h>

#include <domain_events/kafka_record.hpp>

namespace de = domain_events;

namespace {

TEST(kafka_record, headers_are_the_documented_four_and_the_correlation_id_when_there_is_one) {
    const auto without = de::headers_of("id-1", "patient.created", "1.0", std::nullopt);
    ASSERT_EQ(without.all().size(), 4u);
    EXPECT_EQ(without.all()[2].name, "content-type");
    EXPECT_EQ(without.all()[2].value, "application/json");
    EXPECT_EQ(without.all()[3].name, "schema-version");
    const auto with = de::headers_of("id-1", "patient.created", "1.0", "req-7");
    ASSERT_EQ(with.all().size(), 5u);
    EXPECT_EQ(with.all()[4].name, "correlation_id");
    EXPECT_EQ(with.all()[4].value, "req-7");
}

TEST(kafka_record, the_size_counts_key_value_headers_and_framing) {
    const de::record_header one[] = {{"ab", "cde"}};
    EXPECT_EQ(de::kafka_record_bytes("key", "value", {}), de::record_framing_bytes + 8);
    EXPECT_EQ(de::kafka_record_bytes("key", "value", one), de::record_framing_bytes + 8 + de::header_framing_bytes + 5);
    auto e = de::make_event("patient.created", "patient", "p-1", 1, {{"name", "Ada"}});
    e.metadata.correlation_id = "req-7";
    const auto envelope = de::serialize(e);
    const auto headers = de::headers_of(e.event_id, e.event_type, e.metadata.version, "req-7");
    EXPECT_EQ(de::kafka_record_bytes(e, envelope), de::kafka_record_bytes("p-1", envelope, headers.all()));
}

}  // namespace
