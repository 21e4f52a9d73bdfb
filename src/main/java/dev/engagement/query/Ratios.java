package dev.engagement.query;

import dev.engagement.sketch.Estimate;

import java.util.List;

/**
 * Ratios of sketch estimates with conservative bounds (see the package notes): the delta method
 * with the numerator and denominator taken as uncorrelated, which over-states the error when they
 * share clients (as DAU and MAU do).
 */
final class Ratios {

    private Ratios() {
    }

    /**
     * {@code numerator / denominator} with ~95 % bounds, clamped to [0, 1]; zero when the
     * denominator is zero.
     */
    public static Estimate ratio(Estimate numerator, Estimate denominator) {
        if (denominator == null || denominator.estimate() <= 0) {
            return Estimate.ZERO;
        }
        double r = numerator.estimate() / denominator.estimate();
        double rn = relativeSd(numerator);
        double rd = relativeSd(denominator);
        double sd = r * Math.sqrt(rn * rn + rd * rd);
        double lower = Math.max(0, r - 2 * sd);
        double upper = Math.min(1, r + 2 * sd);
        // Never tighter than the bounds of the parts taken at their extremes.
        if (denominator.upper() > 0) {
            lower = Math.min(lower, numerator.lower() / denominator.upper());
        }
        if (denominator.lower() > 0) {
            upper = Math.max(upper, Math.min(1, numerator.upper() / denominator.lower()));
        }
        // When the numerator is estimated above the denominator (r > 1), r - 2 SD and even
        // numerator.lower / denominator.upper can exceed 1: clamp the lower bound too, so that
        // lower <= estimate <= upper holds.
        return new Estimate(Math.min(r, 1), Math.min(1, Math.max(0, lower)), Math.min(1, upper));
    }

    /** The mean of estimates taken as independent: standard deviations add in quadrature. */
    public static Estimate mean(List<Estimate> values) {
        if (values.isEmpty()) {
            return Estimate.ZERO;
        }
        double sum = 0;
        double variance = 0;
        for (Estimate e : values) {
            sum += e.estimate();
            double sd = (e.upper() - e.lower()) / 4;
            variance += sd * sd;
        }
        int n = values.size();
        double mean = sum / n;
        double sd = Math.sqrt(variance) / n;
        return new Estimate(mean, Math.max(0, mean - 2 * sd), mean + 2 * sd);
    }

    /**
     * {@code a - b} for two estimates whose errors are independent (such as two versions' metrics: on a
     * day, their client sets are disjoint), with ~95 % bounds: the difference ± 2 SD, where the two
     * standard deviations, each read off its estimate's bounds as {@code (upper - lower) / 4}, add in
     * quadrature. Adding the two intervals instead would be far too wide.
     */
    public static Estimate difference(Estimate a, Estimate b) {
        double d = a.estimate() - b.estimate();
        double sa = sd(a);
        double sb = sd(b);
        double sd = Math.sqrt(sa * sa + sb * sb);
        return new Estimate(d, d - 2 * sd, d + 2 * sd);
    }

    /** The standard deviation read off two-sigma bounds: a quarter of their width. */
    static double sd(Estimate e) {
        return (e.upper() - e.lower()) / 4;
    }

    /** The relative standard deviation read off two-sigma bounds. */
    static double relativeSd(Estimate e) {
        return e.estimate() <= 0 ? 0 : (e.upper() - e.lower()) / 4 / e.estimate();
    }
}
