#!/usr/bin/env bash
# browser_trust.sh with openssl s_server presenting `mse-sim ratls`
# certificates instead of mse-enclave: the same browser flow (certificate
# error, mse verify, mse trust add, page loads, re-deploy, error again)
# against a TLS server nobody here wrote.
BROWSER_SERVER=s_server exec bash "$(dirname "$0")/browser_trust.sh"
