#!/usr/bin/env python3
"""Makes the seed corpora of fuzz-cookie and fuzz-jwt, whose seeds hold
keys signed with the fuzzers' own secrets (see the top of fuzz-cookie.c
and fuzz-jwt.c): without them the fuzzer would never see a key accepted.

- fuzz-cookie: Cookie headers as browsers, curl and ffmpeg send them, with
  playback session keys ("{session id}.{expiry}.{mac}", tg-playback.h) of
  LiveApp/s1 at epoch 3 (and a few of another stream, epoch or expiry).
- fuzz-jwt: HS256 tokens of the shapes Ant Media's REST API (java-jwt),
  PyJWT and jose make, and a few that must be refused (alg none, HS512,
  a float or string exp, padding, another key); and claims sets that the
  fuzzer signs itself (inputs that begin with '{').

The seeds are committed; this script only remakes them:

    tests/fuzz/make-key-seeds.py
"""
import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# As fuzz-cookie.c: 32 bytes 0x07, LiveApp/s1 at epoch 3, NOW.
COOKIE_SECRET = bytes([7]) * 32
APP, STREAM, EPOCH, NOW = "LiveApp", "s1", 3, 1800000000
# As fuzz-jwt.c.
JWT_SECRET = b"fuzz-jwt-stream-secret-key-0123456789"
JWT_OTHER = b"fuzz-jwt-stream-secret-key-0123456780"
EXP = 1893456000  # 2030-01-01, after fuzz-jwt.c's NOW


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def session_key(sid, expiry, stream=STREAM, epoch=EPOCH,
                secret=COOKIE_SECRET):
    message = "tollgate-playback-v1|%s|%s|%s|%d|%d" % (
        APP, stream, sid, expiry, epoch)
    mac = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return "%s.%d.%s" % (sid, expiry, b64url(mac))


def jwt(header, claims, secret=JWT_SECRET, pad=False):
    def part(obj):
        text = obj if isinstance(obj, str) else json.dumps(
            obj, separators=(",", ":"))
        encoded = b64url(text.encode())
        return encoded + "=" * (-len(encoded) % 4) if pad else encoded
    signing_input = part(header) + "." + part(claims)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def write(fuzzer, name, text):
    folder = os.path.join(CORPUS, fuzzer)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


def cookies():
    key = session_key("Yk3u9qA0fS2mWcLx", NOW + 90)
    other = session_key("Zt7dP1vR8nQe4HjB", NOW + 90)
    seeds = {
        "only": "tgs_s1=" + key,
        "chrome-analytics":
            "_ga=GA1.1.972455813.1733570000; "
            "_ga_K2QZ9T7MLC=GS1.1.1733570000.1.1.1733570123.0.0.0; "
            "tgs_s1=" + key,
        "ant-media-jsessionid":
            "JSESSIONID=node01x2q9w3e4r5t6y7u8i9o0p1.node0; tgs_s1=" + key,
        "two-streams": "tgs_s10=%s; tgs_s1=%s" % (
            session_key("Qa1Ws2Ed3Rf4Tg5Y", NOW + 90, stream="s10"), key),
        "expired-then-valid": "tgs_s1=%s; tgs_s1=%s" % (
            session_key("Yk3u9qA0fS2mWcLx", NOW - 1), other),
        "old-epoch": "tgs_s1=" + session_key("Yk3u9qA0fS2mWcLx", NOW + 90,
                                             epoch=EPOCH - 1),
        "curl-trailing-semicolon": "tgs_s1=%s;" % key,
        "rfc2965-commas":
            "$Version=1, tgs_s1=%s; $Path=/LiveApp/streams/" % key,
        "ffmpeg-cookies-option": "tgs_s1=%s; path=/LiveApp/streams/;" % key,
        "quoted": 'tgs_s1="%s"' % key,
        "empty-value": "tgs_s1=",
        "no-session": "theme=dark; lang=en-US",
        "wrong-mac": "tgs_s1=" + key[:-1] + ("A" if key[-1] != "A" else "B"),
        "other-secret": "tgs_s1=" + session_key(
            "Yk3u9qA0fS2mWcLx", NOW + 90, secret=bytes([9]) * 32),
    }
    for name, text in seeds.items():
        write("fuzz-cookie", name, text)


def tokens():
    java_header = {"typ": "JWT", "alg": "HS256"}
    header = {"alg": "HS256", "typ": "JWT"}
    play = {"streamId": "stream1", "type": "play", "exp": EXP}
    seeds = {
        # Ant Media's /v2/broadcasts/{id}/jwt-token (java-jwt).
        "ant-media-play": jwt(java_header, play),
        "ant-media-publish": jwt(java_header, {
            "streamId": "stream1", "type": "publish", "exp": EXP}),
        "ant-media-other-stream": jwt(java_header, {
            "streamId": "stream2", "type": "play", "exp": EXP}),
        "ant-media-expired": jwt(java_header, {
            "streamId": "stream1", "type": "play", "exp": 1700000000}),
        # PyJWT (iat) and jose (a header with alg only).
        "pyjwt-iat": jwt(header, {"streamId": "stream1", "type": "play",
                                  "iat": EXP - 3600, "exp": EXP}),
        "jose-alg-only": jwt({"alg": "HS256"}, play),
        "spaced-json": jwt('{ "alg" : "HS256" , "typ" : "JWT" }',
                           '{ "streamId" : "stream1", "type" : "play", '
                           '"exp" : %d }' % EXP),
        # Refused.
        "alg-none": b64url(b'{"alg":"none","typ":"JWT"}') + "."
                    + b64url(json.dumps(play).encode()) + ".",
        "alg-hs512": jwt({"alg": "HS512", "typ": "JWT"}, play),
        "exp-float": jwt(header, {"streamId": "stream1", "type": "play",
                                  "exp": EXP + 0.5}),
        "exp-string": jwt(header, {"streamId": "stream1", "type": "play",
                                   "exp": str(EXP)}),
        "padded": jwt(header, {"streamId": "stream1", "type": "play",
                               "exp": EXP, "x": "a"}, pad=True),
        "other-key": jwt(header, play, secret=JWT_OTHER),
        # Claims the fuzzer signs itself.
        "claims-play": json.dumps(play),
        "claims-publish-iat": json.dumps({
            "streamId": "stream1", "type": "publish", "iat": EXP - 60,
            "exp": EXP}),
        "claims-exp-exponent": '{"streamId":"stream1","type":"play",'
                               '"exp":1e10}',
        "claims-no-exp": '{"streamId":"stream1","type":"play"}',
        "claims-duplicate-exp": '{"exp":%d,"streamId":"stream1",'
                                '"type":"play","exp":1}' % EXP,
        "claims-unicode": '{"streamId":"str\\u00e9am1","type":"play",'
                          '"exp":%d}' % EXP,
    }
    for name, text in seeds.items():
        write("fuzz-jwt", name, text)


if __name__ == "__main__":
    cookies()
    tokens()
