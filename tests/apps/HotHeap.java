// SPDX-License-Identifier: MIT
// A JVM test subject for wolfram: a large heap of known content, a hot part
// that a thread reads all the time, timing every read, and a line protocol on
// stdin/stdout (one JSON object per answer), like tests/workload/.
//
//   java -Xms… -Xmx… HotHeap DATA_MIB HOT_PERCENT SEED
//
// First line: {"pid", "data_bytes", "hot_bytes", "chunks", "checksum"}.
// Commands, one per line:
//   checksum  {"checksum": 16 hex digits over all data, "ms"}
//   verify    {"ok", "bad_chunks", "ms"}: every chunk regenerated from the
//             seed and compared byte for byte
//   latency   the hot reads since the last "latency" (or the start):
//             {"samples", "p50_ns", "p99_ns", "p999_ns", "max_ns", "slow"
//             (reads of 10 us or more), "passes"}; starts a new window
//   exit
// The content is text-like (words from a fixed list), so it compresses
// about as well as an application's own data would.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

public final class HotHeap {
    // Below half a G1 region, so no array is humongous (a region of its own).
    static final int CHUNK = 256 << 10;
    static final int PAGE = 4096;
    static final String[] WORDS = {
        "memory", "page", "cold", "zram", "swap", "region", "process", "kernel", "the", "of", "and", "to",
        "heap", "object", "java", "thread", "compress", "idle", "hot", "cycle", "cache", "record", "value",
        "index", "order", "customer", "session", "token", "ledger", "balance", "entry", "batch"
    };

    static byte[][] chunks;
    static int hotChunks;
    static long seed;

    // Read latencies as a log-linear histogram: 16 buckets per power of two,
    // written by the hot thread, read and cleared under the lock.
    static final Object lock = new Object();
    static long[] histogram = new long[64 * 16];
    static long slow, samples, passes;

    static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    static void fill(byte[] b, long s) {
        long x = s * 0x9E3779B97F4A7C15L + 1;
        int i = 0;
        while (i < b.length) {
            x = next(x);
            String w = WORDS[(int) ((x >>> 33) % WORDS.length)];
            for (int j = 0; j < w.length() && i < b.length; j++)
                b[i++] = (byte) w.charAt(j);
            if (i < b.length)
                b[i++] = (byte) ((x & 15) == 0 ? '\n' : ' ');
        }
    }

    static long checksum() {
        long h = 0xcbf29ce484222325L;
        for (byte[] b : chunks)
            for (int i = 0; i < b.length; i += 8) {
                long v = (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 |
                         (b[i + 3] & 0xffL) << 24 | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 |
                         (b[i + 6] & 0xffL) << 48 | (b[i + 7] & 0xffL) << 56;
                h = (h ^ v) * 0x100000001b3L;
            }
        return h;
    }

    static int bucket(long ns) {
        if (ns < 16)
            return (int) Math.max(ns, 0);
        int b = 63 - Long.numberOfLeadingZeros(ns);
        return Math.min(b * 16 + (int) ((ns >>> (b - 4)) & 15), histogram.length - 1);
    }

    // The upper end of a bucket, so a percentile never reads low.
    static long bucketTop(int i) {
        if (i < 16)
            return i;
        int b = i / 16, sub = i % 16;
        return (1L << b) + ((long) (sub + 1) << (b - 4)) - 1;
    }

    static void hotThread() {
        // One byte per page, a slice of the hot pages every 5 ms: the whole
        // hot part about every 200 ms.
        long pages = (long) hotChunks * (CHUNK / PAGE);
        long perTick = Math.max(1, pages / 40);
        long cursor = 0;
        long sink = 0;
        long[] local = new long[histogram.length];
        long localSlow = 0, localSamples = 0;
        for (;;) {
            for (long k = 0; k < perTick; k++) {
                long p = cursor++ % pages;
                byte[] b = chunks[(int) (p / (CHUNK / PAGE))];
                int off = (int) (p % (CHUNK / PAGE)) * PAGE + (int) (k & 63);
                long t0 = System.nanoTime();
                sink += b[off];
                long dt = System.nanoTime() - t0;
                local[bucket(dt)]++;
                localSamples++;
                if (dt >= 10000)
                    localSlow++;
            }
            synchronized (lock) {
                for (int i = 0; i < local.length; i++) {
                    histogram[i] += local[i];
                    local[i] = 0;
                }
                slow += localSlow;
                samples += localSamples;
                if (cursor / pages != (cursor - perTick) / pages)
                    passes++;
            }
            localSlow = localSamples = 0;
            if (sink == 42)
                System.err.print("");
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static long percentile(long[] h, long total, double p) {
        long want = (long) Math.ceil(total * p), seen = 0;
        for (int i = 0; i < h.length; i++) {
            seen += h[i];
            if (seen >= want && h[i] > 0)
                return bucketTop(i);
        }
        return 0;
    }

    static String latency() {
        long[] h;
        long n, s, ps;
        synchronized (lock) {
            h = histogram;
            histogram = new long[h.length];
            n = samples;
            s = slow;
            ps = passes;
            samples = slow = passes = 0;
        }
        long max = 0;
        for (int i = h.length - 1; i >= 0; i--)
            if (h[i] > 0) {
                max = bucketTop(i);
                break;
            }
        return String.format("{\"samples\": %d, \"p50_ns\": %d, \"p99_ns\": %d, \"p999_ns\": %d, \"max_ns\": %d, " +
                             "\"slow\": %d, \"passes\": %d}",
                             n, percentile(h, n, 0.5), percentile(h, n, 0.99), percentile(h, n, 0.999), max, s, ps);
    }

    public static void main(String[] args) throws Exception {
        int dataMib = Integer.parseInt(args[0]);
        int hotPercent = Integer.parseInt(args[1]);
        seed = Long.parseLong(args[2]);
        int n = (int) ((long) dataMib * (1 << 20) / CHUNK);
        chunks = new byte[n][];
        for (int i = 0; i < n; i++) {
            chunks[i] = new byte[CHUNK];
            fill(chunks[i], seed * 1000003L + i);
        }
        hotChunks = Math.max(1, n * hotPercent / 100);
        long sum = checksum();
        Thread t = new Thread(HotHeap::hotThread, "hot-reader");
        t.setDaemon(true);
        t.start();
        System.out.printf("{\"pid\": %d, \"data_bytes\": %d, \"hot_bytes\": %d, \"chunks\": %d, " +
                          "\"checksum\": \"%016x\"}%n",
                          ProcessHandle.current().pid(), (long) n * CHUNK, (long) hotChunks * CHUNK, n, sum);
        System.out.flush();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        byte[] scratch = new byte[CHUNK];
        for (String line; (line = in.readLine()) != null;) {
            line = line.trim();
            long t0 = System.nanoTime();
            String out;
            if (line.equals("checksum")) {
                out = String.format("{\"checksum\": \"%016x\", \"ms\": %d}", checksum(),
                                    (System.nanoTime() - t0) / 1000000);
            } else if (line.equals("verify")) {
                int bad = 0;
                for (int i = 0; i < chunks.length; i++) {
                    fill(scratch, seed * 1000003L + i);
                    if (!java.util.Arrays.equals(scratch, chunks[i]))
                        bad++;
                }
                out = String.format("{\"ok\": %s, \"bad_chunks\": %d, \"ms\": %d}", bad == 0, bad,
                                    (System.nanoTime() - t0) / 1000000);
            } else if (line.equals("latency")) {
                out = latency();
            } else if (line.equals("exit")) {
                break;
            } else {
                out = "{\"error\": \"unknown command\"}";
            }
            System.out.println(out);
            System.out.flush();
        }
        System.exit(0);
    }
}
