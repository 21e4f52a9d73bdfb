package dev.engagement.query;

import java.util.List;
import java.util.OptionalInt;

/**
 * The {@link Queries} of a running instance: engagement and partial answers from its
 * {@link QueryService}, releases from {@link Releases} and dimensions from {@link Dimensions}, both
 * over the same service without the group limit.
 */
public final class ServedQueries implements Queries {

    private final QueryService service;
    private final Releases releases;
    private final Dimensions dimensions;

    public ServedQueries(QueryService service, Releases releases, Dimensions dimensions) {
        this.service = service;
        this.releases = releases;
        this.dimensions = dimensions;
    }

    @Override
    public EngagementAnswer engagement(EngagementQuery query) {
        return service.query(query);
    }

    @Override
    public String defaultReleaseDimension() {
        return releases.defaultDimension();
    }

    @Override
    public ReleaseAnswer releases(ReleaseQuery query) {
        return releases.answer(query);
    }

    @Override
    public DimensionsAnswer dimensions(OptionalInt limit) {
        return dimensions.answer(limit);
    }

    @Override
    public List<PartitionAnswer> partials(PartialsQuery query) {
        return service.local(query.query(), query.partitions(), query.maxGroups());
    }
}
