/*
 * SketchTypeBenchmark: the measurements behind storing HLL_8 rather than HLL_4 (see the sketch package
 * notes). Run on purpose (not a JUnit test; compiled only under the jmh profile):
 *
 *   mvn -q -Pjmh test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   java -cp target/classes:target/test-classes:$(cat cp.txt) dev.engagement.sketch.SketchTypeBenchmark
 *
 * Prints, for HLL_4 and HLL_8 at lgK 12: update cost for string ids, stored (compact) size when
 * dense, and the time to union 28 dense sketches read from bytes (a 28-day MAU). Median of 7 runs.
 */
package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;

import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

public final class SketchTypeBenchmark {

    private SketchTypeBenchmark() {
    }

    public static void main(String[] args) {
        int lgK = 12;
        Random random = new Random(1);
        String[] ids = new String[2_000_000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = new UUID(random.nextLong(), random.nextLong()).toString();
        }
        for (TgtHllType type : new TgtHllType[] {TgtHllType.HLL_4, TgtHllType.HLL_8}) {
            double[] update = new double[7];
            double[] merge = new double[7];
            double[] mergeWrapped = new double[7];
            int size = 0;
            for (int run = -2; run < 7; run++) {
                HllSketch sketch = new HllSketch(lgK, type);
                long t = System.nanoTime();
                for (String id : ids) {
                    sketch.update(id);
                }
                double ns = (System.nanoTime() - t) / (double) ids.length;
                byte[][] days = new byte[28][];
                for (int d = 0; d < 28; d++) {
                    HllSketch day = new HllSketch(lgK, type);
                    for (int i = 0; i < 20_000; i++) {
                        day.update(ids[(d * 20_000 + i) % ids.length]);
                    }
                    days[d] = day.toCompactByteArray();
                }
                size = days[0].length;
                long m = System.nanoTime();
                Union union = new Union(lgK);
                for (byte[] day : days) {
                    union.update(HllSketch.heapify(day));
                }
                double estimate = union.getEstimate();
                double us = (System.nanoTime() - m) / 1e3;
                long w = System.nanoTime();
                Union wrapped = new Union(lgK);
                for (byte[] day : days) {
                    wrapped.update(HllSketch.wrap(Memory.wrap(day)));
                }
                estimate = Math.min(estimate, wrapped.getEstimate());
                double usWrapped = (System.nanoTime() - w) / 1e3;
                if (run >= 0) {
                    update[run] = ns;
                    merge[run] = us;
                    mergeWrapped[run] = usWrapped;
                }
                if (estimate <= 0) {
                    throw new AssertionError();
                }
            }
            System.out.printf("%s lgK %d: update %.1f ns/string id, dense compact size %,d B, union of 28 dense from bytes:"
                + " heapify %.0f µs, wrap %.0f µs%n", type, lgK, median(update), size, median(merge), median(mergeWrapped));
        }
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
