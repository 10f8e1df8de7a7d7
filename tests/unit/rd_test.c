/* The bounds-checked reader: every accessor at, below and past the end. */
#include <string.h>

#include <mse/rd.h>

#include "testlib.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_little_and_big_endian(void **state)
{
    struct mse_rd rd;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    mse_rd_init(&rd, bytes, sizeof bytes);
    assert_int_equal(mse_rd_u16le(&rd, &u16), MSE_OK);
    assert_int_equal(u16, 0x0201);
    assert_int_equal(mse_rd_u32be(&rd, &u32), MSE_OK);
    assert_int_equal(u32, 0x03040506);
    assert_int_equal(mse_rd_left(&rd), 3);
    mse_rd_init(&rd, bytes, sizeof bytes);
    assert_int_equal(mse_rd_u64le(&rd, &u64), MSE_OK);
    assert_true(u64 == 0x0807060504030201ULL);
    assert_int_equal(mse_rd_u32le(&rd, &u32), MSE_ERR_TRUNCATED);
    assert_int_equal(mse_rd_left(&rd), 1);
}

static void test_failed_read_keeps_offset(void **state)
{
    struct mse_rd rd;
    uint32_t u32;
    const uint8_t *view;
    mse_rd_init(&rd, bytes, 3);
    assert_int_equal(mse_rd_u32le(&rd, &u32), MSE_ERR_TRUNCATED);
    assert_int_equal(rd.off, 0);
    assert_int_equal(mse_rd_bytes(&rd, 4, &view), MSE_ERR_TRUNCATED);
    assert_int_equal(rd.off, 0);
    assert_int_equal(mse_rd_bytes(&rd, 3, &view), MSE_OK);
    assert_ptr_equal(view, bytes);
    assert_int_equal(mse_rd_end(&rd), MSE_OK);
}

static void test_huge_lengths_do_not_wrap(void **state)
{
    struct mse_rd rd, sub;
    const uint8_t *view;
    mse_rd_init(&rd, bytes, sizeof bytes);
    assert_int_equal(mse_rd_skip(&rd, 1), MSE_OK);
    assert_int_equal(mse_rd_bytes(&rd, SIZE_MAX, &view), MSE_ERR_TRUNCATED);
    assert_int_equal(mse_rd_sub(&rd, SIZE_MAX - 1, &sub), MSE_ERR_TRUNCATED);
    assert_int_equal(mse_rd_skip(&rd, (size_t)-1), MSE_ERR_TRUNCATED);
    assert_int_equal(rd.off, 1);
}

static void test_sub_reader_and_trailing(void **state)
{
    struct mse_rd rd, sub;
    uint8_t b;
    uint8_t copy[2];
    mse_rd_init(&rd, bytes, sizeof bytes);
    assert_int_equal(mse_rd_sub(&rd, 2, &sub), MSE_OK);
    assert_int_equal(mse_rd_u8(&sub, &b), MSE_OK);
    assert_int_equal(b, 1);
    assert_int_equal(mse_rd_end(&sub), MSE_ERR_TRAILING_BYTES);
    assert_int_equal(mse_rd_copy(&sub, copy, 1), MSE_OK);
    assert_int_equal(copy[0], 2);
    assert_int_equal(mse_rd_end(&sub), MSE_OK);
    assert_int_equal(mse_rd_u8(&sub, &b), MSE_ERR_TRUNCATED);
    assert_ptr_equal(mse_rd_pos(&rd), bytes + 2);
}

static void test_empty_and_null(void **state)
{
    struct mse_rd rd;
    uint8_t b;
    mse_rd_init(&rd, NULL, 100);
    assert_int_equal(mse_rd_left(&rd), 0);
    assert_int_equal(mse_rd_u8(&rd, &b), MSE_ERR_TRUNCATED);
    assert_int_equal(mse_rd_end(&rd), MSE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_little_and_big_endian),
        cmocka_unit_test(test_failed_read_keeps_offset),
        cmocka_unit_test(test_huge_lengths_do_not_wrap),
        cmocka_unit_test(test_sub_reader_and_trailing),
        cmocka_unit_test(test_empty_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
