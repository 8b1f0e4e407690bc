/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "kernel/pressure.h"
#include "test-util.h"

#define ASSERT_NEAR(a, b) ASSERT_TRUE(fabs((a) - (b)) < 1e-9)

static const char vmstat_text[] = "nr_free_pages 5992448\n"
                                  "workingset_refault_anon 5549269\n"
                                  "workingset_refault_file 43210\n"
                                  "pswpin 5375351\n"
                                  "pswpout 5686475\n"
                                  "pgmajfault 77\n";

static void test_vmstat_real_shape(void) {
        VmStat v;

        ASSERT_OK(vmstat_parse(vmstat_text, strlen(vmstat_text), &v));
        ASSERT_EQ_U64(v.workingset_refault_anon, 5549269);
        ASSERT_EQ_U64(v.pswpin, 5375351);
        ASSERT_EQ_U64(v.pswpout, 5686475);
}

static void test_vmstat_missing_and_bad(void) {
        static const char missing[] = "pswpin 3\n";
        static const char twice[] = "pswpin 3\npswpin 4\n";
        static const char bad[] = "pswpout x\n";
        static const char cut[] = "pswpout\n";
        VmStat v;

        /* An older kernel without the refault counter: zero, not an error. */
        ASSERT_OK(vmstat_parse(missing, strlen(missing), &v));
        ASSERT_EQ_U64(v.pswpin, 3);
        ASSERT_EQ_U64(v.workingset_refault_anon, 0);
        ASSERT_ERRNO(vmstat_parse(twice, strlen(twice), &v), -EBADMSG);
        ASSERT_ERRNO(vmstat_parse(bad, strlen(bad), &v), -EBADMSG);
        ASSERT_ERRNO(vmstat_parse(cut, strlen(cut), &v), -EBADMSG);
        /* A prefix of a known name is another counter. */
        static const char prefix[] = "pswpin_extra 9\npswpi 8\n";
        ASSERT_OK(vmstat_parse(prefix, strlen(prefix), &v));
        ASSERT_EQ_U64(v.pswpin, 0);
}

static void test_vmstat_real(void) {
        VmStat v;

        ASSERT_OK(vmstat_read(&v));
}

static void test_psi_memory(void) {
        static const char text[] = "some avg10=0.12 avg60=3.40 avg300=100.00 total=212028\n"
                                   "full avg10=0.01 avg60=0.03 avg300=0.00 total=2120\n";
        Psi p;

        ASSERT_OK(psi_parse(text, strlen(text), &p));
        ASSERT_NEAR(p.some.avg10, 0.12);
        ASSERT_NEAR(p.some.avg60, 3.40);
        ASSERT_NEAR(p.some.avg300, 100.0);
        ASSERT_EQ_U64(p.some.total_usec, 212028);
        ASSERT_TRUE(p.has_full);
        ASSERT_NEAR(p.full.avg10, 0.01);
        ASSERT_EQ_U64(p.full.total_usec, 2120);
}

static void test_psi_some_only(void) {
        /* /proc/pressure/cpu before 5.13; a field a later kernel may add. */
        static const char text[] = "some avg10=1.50 avg60=0.00 avg300=0.00 total=9 avg1000=0.00\n";
        Psi p;

        ASSERT_OK(psi_parse(text, strlen(text), &p));
        ASSERT_FALSE(p.has_full);
        ASSERT_NEAR(p.some.avg10, 1.5);
}

static void test_psi_bad(void) {
        static const char *const bad[] = {
                "",
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00\n",
                "some avg10=x avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1.2.3 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=-1 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10= avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 "
                "total=1\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=zz avg60=0.00 avg300=0.00 "
                "total=1\n",
                "some avg10=11111111111111111111111111111111111.0 avg60=0.00 avg300=0.00 total=0\n",
        };
        Psi p;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (psi_parse(bad[i], strlen(bad[i]), &p) != -EBADMSG)
                        TEST_FAIL("accepted: %s", bad[i]);
}

static void test_psi_real(void) {
        Psi p;

        ASSERT_OK(psi_read("memory", &p));
        ASSERT_TRUE(p.some.avg10 >= 0 && p.some.avg10 <= 100);
        ASSERT_OK(psi_read("io", &p));
        ASSERT_ERRNO(psi_read("no-such-resource", &p), -EOPNOTSUPP);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "vmstat-real-shape", .func = test_vmstat_real_shape },
                { .name = "vmstat-missing-and-bad", .func = test_vmstat_missing_and_bad },
                { .name = "vmstat-real", .func = test_vmstat_real },
                { .name = "psi-memory", .func = test_psi_memory },
                { .name = "psi-some-only", .func = test_psi_some_only },
                { .name = "psi-bad", .func = test_psi_bad },
                { .name = "psi-real", .func = test_psi_real },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
