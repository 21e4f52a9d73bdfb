package dev.engagement.query;

import java.util.List;
import java.util.OptionalInt;

/**
 * Everything the HTTP API asks of the query layer, one method per query endpoint: the API parses a
 * request into a query, asks here, and writes the answer. {@link ServedQueries} answers over the
 * streams' stores and the other instances; tests of the API use a stand-in.
 *
 * <p>Each method may throw {@link BadQueryException} (the question cannot be answered as asked: a
 * 400) or {@link QueryTimeoutException} (the answer took too long: a 503); any other exception is
 * a bug.
 */
public interface Queries {

    /** {@code /v1/engagement}: every partition that can be read, here or on other instances, within the group limit. */
    EngagementAnswer engagement(EngagementQuery query);

    /** The release dimension of a {@code /v1/releases} query that names none. */
    String defaultReleaseDimension();

    /** {@code /v1/releases}: see {@link Releases}. */
    ReleaseAnswer releases(ReleaseQuery query);

    /** {@code /v1/dimensions}: see {@link Dimensions#answer}. */
    DimensionsAnswer dimensions(OptionalInt limit);

    /** {@code /internal/v1/partials}: this instance's answers of the wanted partitions it can read. */
    List<PartitionAnswer> partials(PartialsQuery query);
}
