package dev.engagement.testing;

import dev.engagement.query.DimensionsAnswer;
import dev.engagement.query.Queries;
import dev.engagement.query.ReleaseAnswer;
import dev.engagement.query.ReleaseQuery;

import java.util.OptionalInt;

/**
 * A stand-in query layer for tests of the HTTP server and its clients: a test answers engagement
 * queries and partials as it needs; the release dimension is {@code channel}, and releases and
 * dimensions are not asked.
 */
public abstract class EngagementOnlyQueries implements Queries {

    @Override
    public String defaultReleaseDimension() {
        return "channel";
    }

    @Override
    public ReleaseAnswer releases(ReleaseQuery query) {
        throw new UnsupportedOperationException();
    }

    @Override
    public DimensionsAnswer dimensions(OptionalInt limit) {
        throw new UnsupportedOperationException();
    }
}
