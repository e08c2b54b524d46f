"""Forge JWTs for tests: HMAC-signed, base64url without padding.

forge({"streamId": "s1", "type": "play", "exp": 1767225600}, secret) gives
a token as the server mints it (GET .../jwt-token). alg picks the HMAC
("HS256", "HS384", "HS512") or "none" (an empty signature); header
replaces the header object entirely.
"""

import base64
import hashlib
import hmac
import json

_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
           "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def forge(claims: dict, secret: str, alg="HS256", header=None) -> str:
    if header is None:
        header = {"alg": alg, "typ": "JWT"}
    signing_input = b64url(_json(header)) + "." + b64url(_json(claims))
    if alg == "none":
        return signing_input + "."
    sig = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"),
                   _HASHES[alg]).digest()
    return signing_input + "." + b64url(sig)
