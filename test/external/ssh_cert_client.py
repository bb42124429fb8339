"""Asks a Gangplank control plane for an SSH certificate exactly as the az ssh extension (2.0.6)
does through MSAL (Debian's python3-msal 1.21): a client-credentials grant with token_type
ssh-cert, the RSA key as a JWK in req_cnf (url-safe base64 of its mpint bytes, padded, sign byte
kept), key_id the SHA-256 hex of n and e, the public cloud's certificate scope. Writes the
certificate as az ssh does. Usage: ssh_cert_client.py AUTHORITY CLIENT_ID SECRET KEY.pub CERT"""
import base64
import hashlib
import json
import struct
import sys

import msal

SCOPE = "https://pas.windows.net/CheckMyAccess/Linux/.default"


def rsa_fields(public_key_line):
    blob = base64.b64decode(public_key_line.split()[1])
    fields, at = [], 0
    while at < len(blob):
        (length,) = struct.unpack(">I", blob[at:at + 4])
        fields.append(blob[at + 4:at + 4 + length])
        at += 4 + length
    assert fields[0] == b"ssh-rsa", fields[0]
    return fields[1], fields[2]  # e, n as their SSH mpint bytes


def main():
    authority, client_id, secret, public_key, certificate = sys.argv[1:6]
    with open(public_key) as f:
        e, n = rsa_fields(f.read())
    n_text = base64.urlsafe_b64encode(n).decode()
    e_text = base64.urlsafe_b64encode(e).decode()
    key_id = hashlib.sha256((n_text + e_text).encode()).hexdigest()
    data = {"token_type": "ssh-cert", "key_id": key_id,
            "req_cnf": json.dumps({"kty": "RSA", "n": n_text, "e": e_text, "kid": key_id})}
    app = msal.ConfidentialClientApplication(client_id, client_credential=secret,
                                             authority=authority, validate_authority=False)
    result = app.acquire_token_for_client([SCOPE], data=data)
    if "access_token" not in result:
        print(f"{result.get('error')}: {result.get('error_description')}", file=sys.stderr)
        sys.exit(1)
    assert result["token_type"] == "ssh-cert", result["token_type"]
    assert result["expires_in"] <= 3600, result["expires_in"]
    with open(certificate, "w") as f:
        f.write("ssh-rsa-cert-v01@openssh.com " + result["access_token"] + "\n")


if __name__ == "__main__":
    main()
