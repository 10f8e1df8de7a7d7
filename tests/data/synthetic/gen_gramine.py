# Makes tests/data/synthetic/gramine-ratls-cert.der (see that directory's README.md).
import hashlib, subprocess, sys
q = open(sys.argv[1], 'rb').read()
subprocess.run(['openssl', 'ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', 'k384.pem'], check=True)
spki = subprocess.run(['openssl', 'pkey', '-in', 'k384.pem', '-pubout', '-outform', 'DER'],
                      capture_output=True, check=True).stdout
h = hashlib.sha256(spki).digest()
def bstr(b):
    n = len(b)
    if n < 24: return bytes([0x40 + n]) + b
    if n < 256: return bytes([0x58, n]) + b
    return bytes([0x59]) + n.to_bytes(2, 'big') + b
entry = bytes([0x82, 0x01]) + bstr(h)
key = b'pubkey-hash'
claims = bytes([0xa1, 0x60 + len(key)]) + key + bstr(entry)
def with_rd(rd):
    out = q[:368] + rd + bytes(32) + q[432:]
    assert len(out) == len(q)
    return out
legacy = with_rd(h)
dq = with_rd(hashlib.sha256(claims).digest())
ev = bytes([0xd9, 0xea, 0x60, 0x82]) + bstr(dq) + bstr(claims)
open('gramine.cnf', 'w').write(f"""[req]
distinguished_name=dn
x509_extensions=ext
prompt=no
[dn]
CN=RATLS
O=GramineDevelopers
C=US
[ext]
basicConstraints=CA:FALSE
0.6.9.42.840.113741.1337.6=DER:{legacy.hex()}
2.23.133.5.4.9=DER:{ev.hex()}
""")
subprocess.run(['openssl', 'req', '-x509', '-new', '-key', 'k384.pem', '-config', 'gramine.cnf', '-days', '3650',
                '-sha256', '-outform', 'DER', '-out', sys.argv[2]], check=True)
