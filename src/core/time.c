/*
 * RFC 3339 UTC timestamps <-> seconds since the epoch. Calendar arithmetic
 * follows the proleptic Gregorian "days from civil" method (H. Hinnant,
 * chrono-Compatible Low-Level Date Algorithms).
 */
#include <stdbool.h>

#include <mse/guard.h>
#include <mse/rd.h>
#include <mse/time.h>

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* Read exactly n decimal digits. */
static mse_err rd_digits(struct mse_rd *rd, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        uint8_t c;
        MSE_TRY_AS(mse_rd_u8(rd, &c), MSE_ERR_TIME_FORMAT);
        MSE_ENSURE(c >= '0' && c <= '9', MSE_ERR_TIME_FORMAT);
        v = v * 10 + (c - '0');
    }
    *out = v;
    return MSE_OK;
}

static mse_err rd_char(struct mse_rd *rd, char a, char b)
{
    uint8_t c;
    MSE_TRY_AS(mse_rd_u8(rd, &c), MSE_ERR_TIME_FORMAT);
    MSE_ENSURE(c == (uint8_t)a || c == (uint8_t)b, MSE_ERR_TIME_FORMAT);
    return MSE_OK;
}

mse_err mse_time_parse(const char *s, size_t len, int64_t *out)
{
    struct mse_rd rd;
    int64_t y, mo, d, h, mi, se;
    mse_rd_init(&rd, s, len);
    MSE_TRY(rd_digits(&rd, 4, &y));
    MSE_TRY(rd_char(&rd, '-', '-'));
    MSE_TRY(rd_digits(&rd, 2, &mo));
    MSE_TRY(rd_char(&rd, '-', '-'));
    MSE_TRY(rd_digits(&rd, 2, &d));
    MSE_TRY(rd_char(&rd, 'T', 't'));
    MSE_TRY(rd_digits(&rd, 2, &h));
    MSE_TRY(rd_char(&rd, ':', ':'));
    MSE_TRY(rd_digits(&rd, 2, &mi));
    MSE_TRY(rd_char(&rd, ':', ':'));
    MSE_TRY(rd_digits(&rd, 2, &se));

    static const int8_t mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    MSE_ENSURE(mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1], MSE_ERR_TIME_FORMAT);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    MSE_ENSURE(!(mo == 2 && d == 29 && !leap), MSE_ERR_TIME_FORMAT);
    /* A leap second (:60) is read as :59 of the same minute. */
    MSE_ENSURE(h <= 23 && mi <= 59 && se <= 60, MSE_ERR_TIME_FORMAT);

    uint8_t c;
    MSE_TRY_AS(mse_rd_u8(&rd, &c), MSE_ERR_TIME_FORMAT);
    if (c == '.') {
        int64_t ignored;
        MSE_TRY(rd_digits(&rd, 1, &ignored));
        for (;;) {
            MSE_TRY_AS(mse_rd_u8(&rd, &c), MSE_ERR_TIME_FORMAT);
            if (c < '0' || c > '9')
                break;
        }
    }
    if (c == '+') {
        int64_t oh, om;
        MSE_TRY(rd_digits(&rd, 2, &oh));
        MSE_TRY(rd_char(&rd, ':', ':'));
        MSE_TRY(rd_digits(&rd, 2, &om));
        MSE_ENSURE(oh == 0 && om == 0, MSE_ERR_TIME_FORMAT);
    } else {
        MSE_ENSURE(c == 'Z' || c == 'z', MSE_ERR_TIME_FORMAT);
    }
    MSE_TRY_AS(mse_rd_end(&rd), MSE_ERR_TIME_FORMAT);
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se);
    return MSE_OK;
}

void mse_time_format(int64_t t, char out[21])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y, m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t fields[6] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60};
    static const char seps[] = "--T::Z";
    static const int widths[] = {4, 2, 2, 2, 2, 2};
    size_t pos = 0;
    for (int i = 0; i < 6; i++) {
        int64_t v = fields[i] < 0 ? 0 : fields[i];
        for (int w = widths[i] - 1; w >= 0; w--) {
            out[pos + (size_t)w] = (char)('0' + v % 10);
            v /= 10;
        }
        pos += (size_t)widths[i];
        out[pos++] = seps[i];
    }
    out[pos] = '\0';
}
