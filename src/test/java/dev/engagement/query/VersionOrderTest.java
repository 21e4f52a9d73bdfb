package dev.engagement.query;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class VersionOrderTest {

    /** In ascending order. */
    private static final List<String> ORDERED = List.of("9.0", "10.0", "133.0", "133.0.2", "134.0a1", "134.0b3",
        "134.0b10", "134.0", "134.0.1", "135.0-rc1", "135.0", "1000.0");

    @Test
    void versionsSortAsReleasesWhateverOrderTheyCameIn() {
        Random random = new Random(1);
        for (int i = 0; i < 20; i++) {
            List<String> shuffled = new ArrayList<>(ORDERED);
            Collections.shuffle(shuffled, random);
            shuffled.sort(VersionOrder.INSTANCE);
            assertThat(shuffled).containsExactlyElementsOf(ORDERED);
        }
    }

    @Test
    void theIssuesExamplesHold() {
        VersionOrder o = VersionOrder.INSTANCE;
        assertThat(o.compare("134.0", "133.0.2")).isPositive();
        assertThat(o.compare("133.0.2", "133.0")).isPositive();
        assertThat(o.compare("134.0a1", "134.0")).isNegative();
        assertThat(o.compare("134.0b3", "134.0")).isNegative();
        assertThat(o.compare("134.0a1", "134.0b3")).isNegative();
    }

    @Test
    void preReleasesHaveLettersAfterDigits() {
        for (String v : List.of("134.0a1", "134.0b3", "135.0-rc1", "2.0b1")) {
            assertThat(VersionOrder.isPreRelease(v)).as(v).isTrue();
        }
        for (String v : List.of("134.0", "133.0.2", "v9", "release", "")) {
            assertThat(VersionOrder.isPreRelease(v)).as(v).isFalse();
        }
    }

    @Test
    void theOrderIsTotalAndAntisymmetric() {
        List<String> all = new ArrayList<>(ORDERED);
        all.addAll(List.of("1.00", "1.0", "v9", "v10", "", "abc", "1..0"));
        for (String a : all) {
            assertThat(VersionOrder.INSTANCE.compare(a, a)).isZero();
            for (String b : all) {
                assertThat(Integer.signum(VersionOrder.INSTANCE.compare(a, b)))
                    .isEqualTo(-Integer.signum(VersionOrder.INSTANCE.compare(b, a)));
                if (!a.equals(b)) {
                    assertThat(VersionOrder.INSTANCE.compare(a, b)).isNotZero();
                }
            }
        }
        assertThat(VersionOrder.INSTANCE.compare("v10", "v9")).isPositive();
    }
}
