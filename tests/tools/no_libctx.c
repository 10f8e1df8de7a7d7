/*
 * LD_PRELOAD shim for tests/integration/sim_tamper_set.sh: OpenSSL cannot make
 * a library context. The verifier's own contexts (src/core/x509_ctx.c) are
 * then not made and every certificate and CRL is decoded in OpenSSL's default
 * context, which must give the same verdicts. Each call creates the file
 * MSE_NO_LIBCTX_MARK names, so the test knows the shim took the call. Test
 * only; never installed.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Exported despite the project's -fvisibility=hidden: it must interpose libcrypto's. */
__attribute__((visibility("default"))) OSSL_LIB_CTX *OSSL_LIB_CTX_new(void)
{
    const char *mark = getenv("MSE_NO_LIBCTX_MARK");
    if (mark != NULL) {
        int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}
