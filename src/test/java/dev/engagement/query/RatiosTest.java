package dev.engagement.query;

import dev.engagement.sketch.Estimate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RatiosTest {

    @Test
    void aZeroOrMissingDenominatorGivesZero() {
        assertThat(Ratios.ratio(new Estimate(5, 4, 6), Estimate.ZERO)).isEqualTo(Estimate.ZERO);
        assertThat(Ratios.ratio(new Estimate(5, 4, 6), null)).isEqualTo(Estimate.ZERO);
        assertThat(Ratios.ratio(Estimate.ZERO, Estimate.ZERO)).isEqualTo(Estimate.ZERO);
    }

    @Test
    void aZeroNumeratorGivesZeroWithinBounds() {
        Estimate r = Ratios.ratio(Estimate.ZERO, new Estimate(100, 90, 110));
        assertThat(r.estimate()).isZero();
        assertThat(r.lower()).isZero();
        assertThat(r.upper()).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(1);
    }

    @Test
    void exactPartsGiveExactRatio() {
        Estimate r = Ratios.ratio(new Estimate(25, 25, 25), new Estimate(100, 100, 100));
        assertThat(r).isEqualTo(new Estimate(0.25, 0.25, 0.25));
    }

    @Test
    void boundsAreNeverTighterThanThePartsAtTheirExtremes() {
        Estimate r = Ratios.ratio(new Estimate(50, 40, 60), new Estimate(100, 90, 110));
        assertThat(r.estimate()).isEqualTo(0.5);
        // Delta method: 0.5 * sqrt(0.1² + 0.05²) = 0.0559 -> [0.388, 0.612]; the extremes are wider.
        assertThat(r.lower()).isCloseTo(40.0 / 110, within(1e-12));
        assertThat(r.upper()).isCloseTo(60.0 / 90, within(1e-12));
    }

    @Test
    void deltaMethodWhenItIsWiderThanTheExtremes() {
        // A tight denominator and a loose numerator: the delta bounds are r ± 2 r rN.
        Estimate r = Ratios.ratio(new Estimate(50, 30, 70), new Estimate(100, 100, 100));
        assertThat(r.estimate()).isEqualTo(0.5);
        assertThat(r.lower()).isCloseTo(0.3, within(1e-12));
        assertThat(r.upper()).isCloseTo(0.7, within(1e-12));
    }

    @Test
    void ratiosAreClampedToZeroOne() {
        // Numerator estimated above the denominator (DAU and MAU are separate estimates).
        Estimate r = Ratios.ratio(new Estimate(120, 110, 130), new Estimate(100, 95, 105));
        assertThat(r.estimate()).isEqualTo(1.0);
        assertThat(r.upper()).isEqualTo(1.0);
        assertThat(r.lower()).isBetween(0.0, 1.0);
        assertThat(r.lower()).isLessThanOrEqualTo(r.estimate());

        // Huge relative error: the lower bound does not go below zero, the upper not above one.
        Estimate wide = Ratios.ratio(new Estimate(10, 0, 40), new Estimate(20, 2, 60));
        assertThat(wide.lower()).isZero();
        assertThat(wide.upper()).isEqualTo(1.0);
        assertThat(wide.estimate()).isEqualTo(0.5);
    }

    @Test
    void meanOfNothingIsZero() {
        assertThat(Ratios.mean(List.of())).isEqualTo(Estimate.ZERO);
    }

    @Test
    void meanAddsStandardDeviationsInQuadrature() {
        // Each: sd = (upper - lower) / 4 = 5; the mean of four has sd sqrt(4 * 25) / 4 = 2.5.
        Estimate e = new Estimate(100, 90, 110);
        Estimate mean = Ratios.mean(List.of(e, e, e, new Estimate(200, 190, 210)));
        assertThat(mean.estimate()).isEqualTo(125.0);
        assertThat(mean.lower()).isCloseTo(120.0, within(1e-9));
        assertThat(mean.upper()).isCloseTo(130.0, within(1e-9));
        // Never below zero.
        assertThat(Ratios.mean(List.of(new Estimate(1, 0, 20))).lower()).isZero();
    }

    @Test
    void relativeSdIsReadOffTwoSigmaBounds() {
        assertThat(Ratios.relativeSd(new Estimate(100, 90, 110))).isCloseTo(0.05, within(1e-12));
        assertThat(Ratios.relativeSd(Estimate.ZERO)).isZero();
    }
}
