package dev.engagement.sketch;

/**
 * A distinct count with its ~95 % bounds ({@code lower <= estimate <= upper}).
 *
 * @param estimate the estimated number of distinct clients
 * @param lower    lower bound, two standard deviations
 * @param upper    upper bound, two standard deviations
 */
public record Estimate(double estimate, double lower, double upper) {

    /** The estimate of nothing. */
    public static final Estimate ZERO = new Estimate(0, 0, 0);

    /** True when the exact value {@code truth} lies within the bounds. */
    public boolean contains(double truth) {
        return lower <= truth && truth <= upper;
    }
}
