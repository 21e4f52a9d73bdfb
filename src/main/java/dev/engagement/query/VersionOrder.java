package dev.engagement.query;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Orders version strings as release numbers: {@code 133.0 < 133.0.2 < 134.0a1 < 134.0b3 < 134.0 <
 * 134.0.1 < 135.0}.
 *
 * <p>A version is split into runs of digits (compared as numbers) and runs of letters (compared as
 * text); dots, dashes, underscores and plus signs only separate runs. Compared run by run:
 * <ul>
 *   <li>a number is greater than a letter run at the same place ({@code 134.0.1 > 134.0a1}): letters
 *   mark a pre-release;</li>
 *   <li>when one version runs out of runs, the longer one is greater if its next run is a number
 *   ({@code 133.0.2 > 133.0}) and smaller if it is letters ({@code 134.0a1 < 134.0}).</li>
 * </ul>
 * Versions equal run by run ({@code 1.0} and {@code 1.00}) are ordered by their text, so the order is
 * total and consistent with {@code equals}.
 */
final class VersionOrder implements Comparator<String> {

    /** The one instance. */
    static final VersionOrder INSTANCE = new VersionOrder();

    private VersionOrder() {
    }

    @Override
    public int compare(String a, String b) {
        List<String> x = runs(a);
        List<String> y = runs(b);
        int n = Math.min(x.size(), y.size());
        for (int i = 0; i < n; i++) {
            int c = compareRuns(x.get(i), y.get(i));
            if (c != 0) {
                return c;
            }
        }
        if (x.size() != y.size()) {
            // The longer one: greater when it goes on with a number, smaller with a pre-release suffix.
            boolean xLonger = x.size() > y.size();
            String next = xLonger ? x.get(n) : y.get(n);
            int sign = isNumber(next) ? 1 : -1;
            return xLonger ? sign : -sign;
        }
        return a.compareTo(b);
    }

    /**
     * Whether a version is a pre-release: a run of letters follows a run of digits ({@code 134.0a1},
     * {@code 134.0b3}, {@code 135.0-rc1}); {@code 134.0} and {@code v9} are not.
     */
    static boolean isPreRelease(String version) {
        boolean number = false;
        for (String run : runs(version)) {
            if (isNumber(run)) {
                number = true;
            } else if (number) {
                return true;
            }
        }
        return false;
    }

    private static int compareRuns(String p, String q) {
        boolean pn = isNumber(p);
        boolean qn = isNumber(q);
        if (pn && qn) {
            String ps = stripZeros(p);
            String qs = stripZeros(q);
            return ps.length() != qs.length() ? Integer.compare(ps.length(), qs.length()) : ps.compareTo(qs);
        }
        if (pn != qn) {
            return pn ? 1 : -1;
        }
        return p.compareTo(q);
    }

    private static String stripZeros(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.substring(i);
    }

    private static boolean isNumber(String run) {
        return isDigit(run.charAt(0));
    }

    /** The version's runs of digits and of other characters, separators dropped. */
    static List<String> runs(String version) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < version.length()) {
            char c = version.charAt(i);
            if (c == '.' || c == '-' || c == '_' || c == '+') {
                i++;
                continue;
            }
            boolean digit = isDigit(c);
            int j = i + 1;
            while (j < version.length() && isDigit(version.charAt(j)) == digit && !isSeparator(version.charAt(j))) {
                j++;
            }
            out.add(version.substring(i, j));
            i = j;
        }
        return out;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isSeparator(char c) {
        return c == '.' || c == '-' || c == '_' || c == '+';
    }
}
