/* The raw-quote tamper list; see qvl_cases.h. Offsets follow <mse/quote.h> (v3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mse/bytes.h>

#include "qvl_cases.h"
#include "testlib.h"

#define OFF_VERSION 0
#define OFF_QE_VENDOR 12
#define OFF_MRENCLAVE (48 + 64)
#define OFF_REPORT_DATA (48 + 320)
#define OFF_QUOTE_SIG 436
#define OFF_ATT_KEY 500
#define OFF_QE_REPORT_RESERVED (564 + 20) /* reserved1: covered by the signature only */
#define OFF_QE_REPORT_SIG 948
#define OFF_QE_AUTH 1014

static const char *const qvl_names[] = {
    "tcbInfo.json",     "qeIdentity.json", "tcbSignChain.pem", "rootCaCrl.der",
    "intermediateCaCrl.der", "pckCert.pem", "pckSignChain.pem", "trustedRootCaCert.pem",
};

struct qvl_file *qvl_file(struct qvl_set *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->files[i].name, name) == 0)
            return &s->files[i];
    fail_msg("no file %s in the set", name);
    return NULL;
}

void qvl_set_load(struct qvl_set *s)
{
    char rel[128];
    memset(s, 0, sizeof *s);
    s->files[0].name = "quote.dat";
    s->files[0].data = mse_test_data("real/mse-quote.dat", &s->files[0].len);
    s->count = 1;
    for (size_t i = 0; i < sizeof qvl_names / sizeof qvl_names[0]; i++) {
        snprintf(rel, sizeof rel, "real/qvl/%s", qvl_names[i]);
        s->files[s->count].name = qvl_names[i];
        s->files[s->count].data = mse_test_data(rel, &s->files[s->count].len);
        s->count++;
    }
}

void qvl_set_free(struct qvl_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->files[i].data);
    memset(s, 0, sizeof *s);
}

void qvl_set_write(const struct qvl_set *s, const char *dir)
{
    char collateral[4096];
    snprintf(collateral, sizeof collateral, "%s/collateral", dir);
    assert_int_equal(mkdir(collateral, 0700), 0);
    for (size_t i = 0; i < s->count; i++) {
        bool quote = strcmp(s->files[i].name, "quote.dat") == 0;
        mse_test_write(quote ? dir : collateral, s->files[i].name, s->files[i].data,
                       s->files[i].len);
    }
}

void qvl_report_data_hex(char out[129])
{
    size_t len;
    uint8_t *q = mse_test_data("real/mse-quote.dat", &len);
    assert_true(len > OFF_REPORT_DATA + 64);
    mse_hex_encode(q + OFF_REPORT_DATA, 64, out);
    free(q);
}

/* ---- the changes ------------------------------------------------------------ */

static void flip(struct qvl_set *s, const char *name, size_t off)
{
    struct qvl_file *f = qvl_file(s, name);
    assert_true(off < f->len);
    f->data[off] ^= 0x01;
}

/* Replace the first occurrence of `from` by `to` (same length): an edit nobody re-signed. */
static void edit(struct qvl_set *s, const char *name, const char *from, const char *to)
{
    struct qvl_file *f = qvl_file(s, name);
    size_t n = strlen(from);
    assert_int_equal(strlen(to), n);
    for (size_t i = 0; i + n <= f->len; i++) {
        if (memcmp(f->data + i, from, n) == 0) {
            memcpy(f->data + i, to, n);
            return;
        }
    }
    fail_msg("%s does not contain %s", name, from);
}

static void replace(struct qvl_set *s, const char *name, uint8_t *data, size_t len)
{
    struct qvl_file *f = qvl_file(s, name);
    free(f->data);
    f->data = data;
    f->len = len;
}

/* A self-signed root with Intel's name and another key: the classic forgery. */
static char *forged_root_pem(void)
{
    EVP_PKEY *k = mse_test_key();
    X509 *root = mse_test_cert("Intel SGX Root CA", k, NULL, NULL, 1500000000, 2500000000, true, 7);
    char *pem = mse_test_cert_pem(root);
    X509_free(root);
    EVP_PKEY_free(k);
    return pem;
}

static void qe_report_byte(struct qvl_set *s) { flip(s, "quote.dat", OFF_QE_REPORT_RESERVED); }
static void qe_report_sig(struct qvl_set *s) { flip(s, "quote.dat", OFF_QE_REPORT_SIG + 5); }
static void att_key(struct qvl_set *s) { flip(s, "quote.dat", OFF_ATT_KEY + 7); }
static void qe_auth(struct qvl_set *s) { flip(s, "quote.dat", OFF_QE_AUTH); }
static void mrenclave(struct qvl_set *s) { flip(s, "quote.dat", OFF_MRENCLAVE); }
static void report_data(struct qvl_set *s) { flip(s, "quote.dat", OFF_REPORT_DATA + 3); }
static void quote_sig(struct qvl_set *s) { flip(s, "quote.dat", OFF_QUOTE_SIG + 9); }
static void qe_vendor(struct qvl_set *s) { flip(s, "quote.dat", OFF_QE_VENDOR); }

static void version2(struct qvl_set *s)
{
    struct qvl_file *f = qvl_file(s, "quote.dat");
    f->data[OFF_VERSION] = 2;
    f->data[OFF_VERSION + 1] = 0;
}

static void truncated(struct qvl_set *s)
{
    struct qvl_file *f = qvl_file(s, "quote.dat");
    f->len -= 100;
}

static void tcb_info_edited(struct qvl_set *s)
{
    edit(s, "tcbInfo.json", "\"issueDate\":\"2023-05-30", "\"issueDate\":\"2023-05-31");
}

static void qe_identity_edited(struct qvl_set *s)
{
    edit(s, "qeIdentity.json", "\"isvprodid\":1,", "\"isvprodid\":2,");
}

static void root_crl_as_pck_crl(struct qvl_set *s)
{
    struct qvl_file *root = qvl_file(s, "rootCaCrl.der");
    uint8_t *copy = malloc(root->len);
    memcpy(copy, root->data, root->len);
    replace(s, "intermediateCaCrl.der", copy, root->len);
}

static void non_intel_root(struct qvl_set *s)
{
    char *pem = forged_root_pem();
    replace(s, "trustedRootCaCert.pem", (uint8_t *)pem, strlen(pem));
}

static void non_intel_tcb_root(struct qvl_set *s)
{
    /* TCB signing certificate followed by the forged root instead of Intel's. */
    struct qvl_file *f = qvl_file(s, "tcbSignChain.pem");
    const char *end = "-----END CERTIFICATE-----\n";
    char *pem = forged_root_pem();
    uint8_t *cut = NULL;
    for (size_t i = 0; i + strlen(end) <= f->len && cut == NULL; i++)
        if (memcmp(f->data + i, end, strlen(end)) == 0)
            cut = f->data + i + strlen(end);
    assert_non_null(cut);
    size_t first = (size_t)(cut - f->data);
    uint8_t *chain = malloc(first + strlen(pem));
    memcpy(chain, f->data, first);
    memcpy(chain + first, pem, strlen(pem));
    replace(s, "tcbSignChain.pem", chain, first + strlen(pem));
    free(pem);
}

static void other_pck_leaf(struct qvl_set *s)
{
    size_t len;
    uint8_t *other = mse_test_data("real/pck-leaf-from-processor-ca.pem", &len);
    replace(s, "pckCert.pem", other, len);
}

const struct qvl_case qvl_cases[] = {
    {"flipped QE report byte", MSE_ERR_QE_REPORT_SIGNATURE, false, qe_report_byte},
    {"flipped QE report signature", MSE_ERR_QE_REPORT_SIGNATURE, false, qe_report_sig},
    {"flipped attestation key", MSE_ERR_QE_REPORT_DATA, false, att_key},
    {"flipped QE auth data", MSE_ERR_QE_REPORT_DATA, false, qe_auth},
    {"flipped MRENCLAVE", MSE_ERR_QUOTE_SIGNATURE, false, mrenclave},
    {"flipped REPORTDATA, --report-data given", MSE_ERR_POLICY_REPORT_DATA, true, report_data},
    {"flipped REPORTDATA, no --report-data", MSE_ERR_QUOTE_SIGNATURE, false, report_data},
    {"flipped quote signature", MSE_ERR_QUOTE_SIGNATURE, false, quote_sig},
    {"QE vendor ID", MSE_ERR_QUOTE_QE_VENDOR, false, qe_vendor},
    {"version 2", MSE_ERR_QUOTE_VERSION, false, version2},
    {"truncated quote", MSE_ERR_QUOTE_TRUNCATED, false, truncated},
    {"TCB info edited without re-signing", MSE_ERR_TCB_INFO_SIGNATURE, false, tcb_info_edited},
    {"QE identity edited without re-signing", MSE_ERR_QE_IDENTITY_SIGNATURE, false,
     qe_identity_edited},
    {"root CRL given as PCK CRL", MSE_ERR_CRL_ISSUER, false, root_crl_as_pck_crl},
    {"non-Intel root as trustedRootCaCert.pem", MSE_ERR_ROOT_UNTRUSTED, false, non_intel_root},
    {"non-Intel root in tcbSignChain.pem", MSE_ERR_TCB_SIGNING_CHAIN, false, non_intel_tcb_root},
    {"pckCert.pem is another platform's", MSE_ERR_COLLATERAL_PCK_MISMATCH, false, other_pck_leaf},
};
const size_t qvl_case_count = sizeof qvl_cases / sizeof qvl_cases[0];
