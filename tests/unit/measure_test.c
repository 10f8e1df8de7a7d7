/* MRENCLAVE measurement: Gramine's vectors, ELF refusals, layout limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/measure.h>

#include "testlib.h"

static void expect_vector(const char *dir, const char *sgx_rel, const char *expected_hex)
{
    char p1[512], p2[512];
    size_t ml, el;
    uint8_t mr[32], want[32];
    snprintf(p1, sizeof p1, "%s/%s", dir, sgx_rel);
    snprintf(p2, sizeof p2, "%s/libpal.so", dir);
    uint8_t *m = mse_test_data(p1, &ml), *e = mse_test_data(p2, &el);
    assert_int_equal(mse_hex_decode(expected_hex, 64, want, 32), MSE_OK);
    assert_int_equal(mse_measure_manifest_sgx(m, ml, e, el, mr, NULL), MSE_OK);
    assert_memory_equal(mr, want, 32);
    /* One byte more in the manifest changes the measurement. */
    uint8_t *m2 = malloc(ml + 1);
    memcpy(m2, m, ml);
    m2[ml] = '\n';
    uint8_t mr2[32];
    assert_int_equal(mse_measure_manifest_sgx(m2, ml + 1, e, el, mr2, NULL), MSE_OK);
    assert_memory_not_equal(mr, mr2, 32);
    free(m2);
    free(m);
    free(e);
}

static void test_v01(void **state)
{
    expect_vector("mrenclave/v01-minimal", "gramine-output/app.manifest.sgx",
                  "23b07122455912cb50f40e229f71e24284ba6829bcbe5452d142351177a073ae");
}

static void test_v02(void **state)
{
    expect_vector("mrenclave/v02-typical", "gramine-output/app.manifest.sgx",
                  "c7d498ff5434c19c8015d741f10da0e1fa800d84397746471ed2cba330c56520");
}

static void test_v03_8g_16t(void **state)
{
    expect_vector("mrenclave/v03-8g-16t", "gramine-output/app.manifest.sgx",
                  "f53e60aa55896a97ff309a9913117b5cd4723af1275d43b23f63dc12d99b0051");
}

static void test_extra_vectors(void **state)
{
    static const char *cases[] = {"edmm", "defaults", "dirs", "chroot", "fixed", "palb", "odd", "floats"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char dir[256], p[512];
        size_t len;
        snprintf(dir, sizeof dir, "mrenclave-extra/%s", cases[k]);
        snprintf(p, sizeof p, "%s/mrenclave.txt", dir);
        char *hex = (char *)mse_test_data(p, &len);
        assert_true(len >= 64);
        hex[64] = '\0';
        expect_vector(dir, "gramine-output/app.manifest.sgx", hex);
        free(hex);
    }
}

static void test_attrs_reported(void **state)
{
    size_t ml, el;
    uint8_t mr[32];
    struct mse_enclave_attrs a;
    uint8_t *m = mse_test_data("mrenclave/v03-8g-16t/gramine-output/app.manifest.sgx", &ml);
    uint8_t *e = mse_test_data("mrenclave/v03-8g-16t/libpal.so", &el);
    assert_int_equal(mse_measure_manifest_sgx(m, ml, e, el, mr, &a), MSE_OK);
    assert_true(a.enclave_size == (UINT64_C(8) << 30));
    assert_int_equal(a.max_threads, 16);
    assert_false(a.edmm);
    free(m);
    free(e);
}

static void test_enclave_too_small(void **state)
{
    size_t el;
    uint8_t mr[32];
    uint8_t *e = mse_test_data("mrenclave/v01-minimal/libpal.so", &el);
    /* 16 threads need about 5.6 MB of stacks: 4M does not fit ("Enclave size is not large enough"). */
    static const char m[] = "sgx.enclave_size = \"4M\"\nsgx.max_threads = 16\n"
                            "loader.entrypoint = { uri = \"file:x\", sha256 = \"00\" }\n";
    assert_int_equal(mse_measure_manifest_sgx((const uint8_t *)m, strlen(m), e, el, mr, NULL),
                     MSE_ERR_MANIFEST);
    static const char bad_size[] = "sgx.enclave_size = \"12X\"\n";
    assert_int_equal(
        mse_measure_manifest_sgx((const uint8_t *)bad_size, strlen(bad_size), e, el, mr, NULL),
        MSE_ERR_MANIFEST);
    static const char bad_threads[] = "sgx.max_threads = \"4\"\n";
    assert_int_equal(mse_measure_manifest_sgx((const uint8_t *)bad_threads, strlen(bad_threads), e,
                                              el, mr, NULL),
                     MSE_ERR_MANIFEST);
    free(e);
}

static void test_elf_truncated_everywhere(void **state)
{
    size_t el;
    struct mse_elf elf;
    uint8_t *e = mse_test_data("mrenclave/v02-typical/libpal.so", &el);
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_OK);
    assert_true(elf.nload >= 3);
    /* Every prefix that cuts a header or a segment's file bytes is refused, never read past. */
    uint64_t need = 0;
    for (size_t k = 0; k < elf.nload; k++)
        if (elf.load[k].offset + elf.load[k].filesz > need)
            need = elf.load[k].offset + elf.load[k].filesz;
    for (size_t cut = 0; cut < need; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, e, cut);
        assert_int_equal(mse_elf_parse(copy, cut, &elf), MSE_ERR_ELF);
        free(copy);
    }
    free(e);
}

static void test_elf_refusals(void **state)
{
    size_t el;
    struct mse_elf elf;
    uint8_t *e = mse_test_data("mrenclave/v01-minimal/libpal.so", &el);
    e[4] = 1; /* ELFCLASS32 */
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_ERR_ELF);
    e[4] = 2;
    e[5] = 2; /* big endian */
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_ERR_ELF);
    e[5] = 1;
    e[0] = 0;
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_ERR_ELF);
    e[0] = 0x7f;
    /* e_phoff far past the end */
    uint8_t save[8];
    memcpy(save, e + 32, 8);
    memset(e + 32, 0xff, 8);
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_ERR_ELF);
    memcpy(e + 32, save, 8);
    assert_int_equal(mse_elf_parse(e, el, &elf), MSE_OK);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v01),
        cmocka_unit_test(test_v02),
        cmocka_unit_test(test_v03_8g_16t),
        cmocka_unit_test(test_extra_vectors),
        cmocka_unit_test(test_attrs_reported),
        cmocka_unit_test(test_enclave_too_small),
        cmocka_unit_test(test_elf_truncated_everywhere),
        cmocka_unit_test(test_elf_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
