"""The REST API's OpenAPI description (data/openapi.json, built into the
binary and served at GET /rest/openapi.json) checked against the real
server: the document served is the source file and a structurally valid
OpenAPI 3.0 document whose every $ref resolves; its (method, path) pairs
are the server's routes (the route tables of server/http/tg-rest.c and the
fixed paths) and its request-body fields the server's field tables; and
for every route, real requests give every documented status (success, bad
parameters or bodies, unknown app, unknown broadcast, a refused client
address, other methods, a body over 1 MiB; a store out of reach and an
unreadable record on a server over Redis), each answer's Content-Type and
body matching the schema documented for that status, and the request's
parameters and body matching (or, where the server refused them as
malformed, not matching) the documented ones."""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import jsonschema

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO
from tollgate_fixture import (APP, APP2, MSG_DEFINE, MSG_DELETED_NOT_LIVE,
                              MSG_ID_INVALID, MSG_ID_USED, TollgateTestCase,
                              future, token_body, unique_id)

SOURCE_ROOT = os.environ.get("TOLLGATE_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

B = "/{app}/rest/v2/broadcasts"
SETTINGS = "/rest/v2/applications/settings/{app}"
APP3 = "live"
NO_APP = "NoSuchApp"
# A client address the default remoteAllowedCIDR (127.0.0.1) refuses.
REFUSED_SOURCE = "127.0.0.2"
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch",
              "trace")
PROBE_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
MAX_BODY = 1024 * 1024
# Answered only by StoreFaultTest, on a server over Redis.
STORE_STATUSES = {"500", "503"}
# But these, which are not the store's (OpenApiTest answers them).
NOT_STORE = {("GET", B + "/{streamId}/thumbnail", "503")}
# Documented statuses no test can bring about, and why.
UNREACHABLE = {
    ("GET", "/healthz", "503"):
        "only before the server's listeners are bound (its ready line)",
    ("HEAD", "/healthz", "503"):
        "only before the server's listeners are bound (its ready line)",
    ("POST", B + "/create", "500"): "only when the CSPRNG fails",
    ("GET", B + "/{streamId}/token", "500"): "only when the CSPRNG fails",
}
# Routes outside the two tables of tg-rest.c (tg_rest_handle's own).
SERVER_ROUTES = ("/rest/v2/applications", "/rest/v2/server",
                 "/rest/v2/token-decisions")
FIXED_ROUTES = {("GET", "/healthz"), ("HEAD", "/healthz"),
                ("GET", "/metrics"), ("HEAD", "/metrics"),
                ("GET", "/rest/openapi.json"), ("HEAD", "/rest/openapi.json")
                } | {(m, p) for p in SERVER_ROUTES for m in ("GET", "HEAD")}
FIXED_NAMES = ("healthz", "metrics", "openapi.json", "broadcasts",
               "settings", "applications", "server", "token-decisions")


# -- OpenAPI 3.0, its structure as JSON Schema (draft 4) -------------------

def _object(properties, required=()):
    schema = {"type": "object", "properties": properties,
              "patternProperties": {"^x-": {}},
              "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name):
    return {"$ref": "#/definitions/%s" % name}


def _or_ref(name):
    return {"oneOf": [_ref("Reference"), _ref(name)]}


def _map(value, key_pattern=None):
    if key_pattern:
        return {"type": "object",
                "patternProperties": {key_pattern: value},
                "additionalProperties": False}
    return {"type": "object", "additionalProperties": value}


_STRING = {"type": "string"}
_BOOL = {"type": "boolean"}
_COUNT = {"type": "integer", "minimum": 0}
_ANY = {}
_COMPONENT_KEY = "^[a-zA-Z0-9._-]+$"
_SCHEMA = _or_ref("Schema")

OPENAPI_30 = _object({
    "openapi": {"type": "string", "pattern": "^3\\.0\\.[0-9]+$"},
    "info": _ref("Info"),
    "servers": {"type": "array", "items": _ref("Server")},
    "paths": _ref("Paths"),
    "components": _ref("Components"),
    "security": {"type": "array"},
    "tags": {"type": "array", "items": _ref("Tag"), "uniqueItems": True},
    "externalDocs": _ref("ExternalDocs"),
}, required=("openapi", "info", "paths"))
OPENAPI_30["definitions"] = {
    "Reference": {"type": "object", "required": ["$ref"],
                  "properties": {"$ref": {"type": "string",
                                          "pattern": "^#/"}},
                  "additionalProperties": False},
    "Info": _object({
        "title": _STRING, "description": _STRING,
        "termsOfService": _STRING,
        "contact": _object({"name": _STRING, "url": _STRING,
                            "email": _STRING}),
        "license": _object({"name": _STRING, "url": _STRING}, ["name"]),
        "version": _STRING}, ["title", "version"]),
    "Server": _object({
        "url": _STRING, "description": _STRING,
        "variables": _map(_object({
            "enum": {"type": "array", "items": _STRING},
            "default": _STRING, "description": _STRING}, ["default"]))},
        ["url"]),
    "Tag": _object({"name": _STRING, "description": _STRING,
                    "externalDocs": _ref("ExternalDocs")}, ["name"]),
    "ExternalDocs": _object({"description": _STRING, "url": _STRING},
                            ["url"]),
    "Paths": {"type": "object",
              "patternProperties": {"^/": _ref("PathItem"), "^x-": {}},
              "additionalProperties": False},
    "PathItem": _object(dict(
        {"$ref": _STRING, "summary": _STRING, "description": _STRING,
         "servers": {"type": "array", "items": _ref("Server")},
         "parameters": {"type": "array", "items": _or_ref("Parameter"),
                        "uniqueItems": True}},
        **{name: _ref("Operation") for name in OPERATIONS})),
    "Operation": _object({
        "tags": {"type": "array", "items": _STRING},
        "summary": _STRING, "description": _STRING,
        "externalDocs": _ref("ExternalDocs"), "operationId": _STRING,
        "parameters": {"type": "array", "items": _or_ref("Parameter"),
                       "uniqueItems": True},
        "requestBody": _or_ref("RequestBody"),
        "responses": _ref("Responses"),
        "callbacks": {"type": "object"}, "deprecated": _BOOL,
        "security": {"type": "array"},
        "servers": {"type": "array", "items": _ref("Server")}},
        ["responses"]),
    "Responses": {"type": "object", "minProperties": 1,
                  "properties": {"default": _or_ref("Response")},
                  "patternProperties": {
                      "^[1-5](?:[0-9]{2}|XX)$": _or_ref("Response"),
                      "^x-": {}},
                  "additionalProperties": False},
    "Response": _object({
        "description": _STRING,
        "headers": _map(_or_ref("Header")),
        "content": _map(_ref("MediaType")),
        "links": {"type": "object"}}, ["description"]),
    "MediaType": _object({"schema": _SCHEMA, "example": _ANY,
                          "examples": {"type": "object"},
                          "encoding": {"type": "object"}}),
    "RequestBody": _object({"description": _STRING,
                            "content": _map(_ref("MediaType")),
                            "required": _BOOL}, ["content"]),
    "Parameter": _object({
        "name": _STRING,
        "in": {"type": "string",
               "enum": ["query", "header", "path", "cookie"]},
        "description": _STRING, "required": _BOOL, "deprecated": _BOOL,
        "allowEmptyValue": _BOOL, "style": _STRING, "explode": _BOOL,
        "allowReserved": _BOOL, "schema": _SCHEMA, "example": _ANY,
        "examples": {"type": "object"},
        "content": _map(_ref("MediaType"))}, ["name", "in"]),
    "Header": _object({
        "description": _STRING, "required": _BOOL, "deprecated": _BOOL,
        "style": {"type": "string", "enum": ["simple"]},
        "explode": _BOOL, "schema": _SCHEMA, "example": _ANY,
        "content": _map(_ref("MediaType"))}),
    "Components": _object({
        name: _map(_or_ref(kind), _COMPONENT_KEY)
        for name, kind in (("schemas", "Schema"),
                           ("responses", "Response"),
                           ("parameters", "Parameter"),
                           ("requestBodies", "RequestBody"),
                           ("headers", "Header"))}),
    # OpenAPI 3.0's Schema Object: a draft-4-like subset of JSON Schema
    # with one type (never a list), nullable, and no $schema/id/const.
    "Schema": _object({
        "title": _STRING,
        "multipleOf": {"type": "number", "minimum": 0,
                       "exclusiveMinimum": True},
        "maximum": {"type": "number"}, "exclusiveMaximum": _BOOL,
        "minimum": {"type": "number"}, "exclusiveMinimum": _BOOL,
        "maxLength": _COUNT, "minLength": _COUNT,
        "pattern": _STRING, "maxItems": _COUNT, "minItems": _COUNT,
        "uniqueItems": _BOOL, "maxProperties": _COUNT,
        "minProperties": _COUNT,
        "required": {"type": "array", "items": _STRING, "minItems": 1,
                     "uniqueItems": True},
        "enum": {"type": "array", "minItems": 1},
        "type": {"type": "string",
                 "enum": ["array", "boolean", "integer", "number",
                          "object", "string"]},
        "not": _SCHEMA,
        "allOf": {"type": "array", "items": _SCHEMA, "minItems": 1},
        "oneOf": {"type": "array", "items": _SCHEMA, "minItems": 1},
        "anyOf": {"type": "array", "items": _SCHEMA, "minItems": 1},
        "items": _SCHEMA,
        "properties": _map(_SCHEMA),
        "additionalProperties": {"oneOf": [_ref("Reference"),
                                           _ref("Schema"), _BOOL]},
        "description": _STRING, "format": _STRING, "default": _ANY,
        "nullable": _BOOL, "readOnly": _BOOL, "writeOnly": _BOOL,
        "example": _ANY, "externalDocs": _ref("ExternalDocs"),
        "deprecated": _BOOL,
        "discriminator": {"type": "object", "required": ["propertyName"]},
        "xml": {"type": "object"}}),
}

# Where a $ref may point, by the member that holds it.
REF_KINDS = {"schema": "schemas", "items": "schemas", "not": "schemas",
             "allOf": "schemas", "anyOf": "schemas", "oneOf": "schemas",
             "properties": "schemas", "additionalProperties": "schemas",
             "parameters": "parameters", "responses": "responses",
             "requestBody": "requestBodies", "headers": "headers"}


def pointer(doc, ref):
    """The value a local $ref ("#/a/b") names; KeyError if none."""
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def walk_refs(node, trail=()):
    """(trail of member names, $ref) for every $ref in the document."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield trail, node["$ref"]
        for key, value in node.items():
            if key not in ("example", "examples", "default", "enum"):
                yield from walk_refs(value, trail + (key,))
    elif isinstance(node, list):
        for value in node:
            yield from walk_refs(value, trail)


def schema_children(schema):
    for key in ("items", "not", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in ("allOf", "anyOf", "oneOf"):
        yield from schema.get(key, [])
    yield from schema.get("properties", {}).values()


def walk_schemas(node, in_schema=False):
    """Every Schema Object of the document, recursively: components'
    schemas, and those of parameters, headers and media types."""
    if isinstance(node, list):
        for value in node:
            yield from walk_schemas(value)
        return
    if not isinstance(node, dict) or "$ref" in node:
        return
    if in_schema:
        yield node
        for child in schema_children(node):
            yield from walk_schemas(child, True)
        return
    for key, value in node.items():
        if key == "schema":
            yield from walk_schemas(value, True)
        elif key == "schemas" and isinstance(value, dict):
            for child in value.values():
                yield from walk_schemas(child, True)
        elif key not in ("example", "examples", "default", "enum"):
            yield from walk_schemas(value)


def json_schema(node):
    """An OpenAPI 3.0 Schema Object as JSON Schema (draft 4): nullable
    becomes a type list with "null" (and null among an enum's values)."""
    if isinstance(node, list):
        return [json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: (value if key in ("example", "examples", "default", "enum")
                 else json_schema(value))
           for key, value in node.items()}
    if isinstance(out.get("nullable"), bool) and out.pop("nullable"):
        if "enum" in out:
            out["enum"] = out["enum"] + [None]
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def media_type(text):
    """A Content-Type for comparison: lower case, no blanks."""
    if text is None:
        return None
    return ";".join(part.strip() for part in text.lower().split(";"))


def template_re(template):
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("^%s$" % "".join(
        "[^/]+" if part.startswith("{") else re.escape(part)
        for part in parts))


def source(path):
    with open(os.path.join(SOURCE_ROOT, path), encoding="utf-8") as f:
        return f.read()


def c_block(text, start, end=r"\{\s*NULL\s*\}\s*\};|\n\};"):
    """The text from the first match of start up to end."""
    m = re.search(start + r"(.*?)(?:" + end + ")", text, re.S)
    if m is None:
        raise AssertionError("no %r in the source" % start)
    return m.group(1)


def route_table(text, name):
    """(method, pattern) of the TgRoute table name of tg-rest.c."""
    block = c_block(text, r"static const TgRoute %s\[\]" % name)
    return re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]*)",\s*\w+\s*\}', block)


class Spec:
    """The description, its JSON-Schema form and a resolver of its refs."""

    def __init__(self, doc):
        self.doc = doc
        self.flat = json_schema(doc)
        self.resolver = jsonschema.RefResolver("", self.flat)

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = pointer(self.flat, node["$ref"])
        return node

    def component(self, name):
        """An untranslated schema of components/schemas."""
        return self.doc["components"]["schemas"][name]

    def routes(self):
        return {(method.upper(), path)
                for path, item in self.doc["paths"].items()
                for method in OPERATIONS if method in item}

    def methods(self, path):
        return [m.upper() for m in OPERATIONS
                if m in self.doc["paths"].get(path, {})]

    def operation(self, method, path):
        return self.flat["paths"].get(path, {}).get(method.lower())

    def statuses(self):
        """Every documented (method, path, status)."""
        return {(method, path, status)
                for method, path in self.routes()
                for status in self.operation(method, path)["responses"]}

    def response(self, method, path, status):
        operation = self.operation(method, path)
        if operation is None:
            return None
        return self.deref(operation["responses"].get(str(status)))

    def parameters(self, method, path):
        item = self.flat["paths"][path]
        found = {}
        for p in item.get("parameters", []) + self.operation(
                method, path).get("parameters", []):
            p = self.deref(p)
            found[(p["in"], p["name"])] = p
        return list(found.values())

    def templates_matching(self, url_path):
        return [t for t in self.doc["paths"] if template_re(t).match(url_path)]

    def errors(self, schema, instance):
        validator = jsonschema.Draft4Validator(schema,
                                               resolver=self.resolver)
        return ["%s at %s" % (e.message, list(e.absolute_path))
                for e in validator.iter_errors(instance)]


class RedisProcess:
    """redis-server on a Unix socket in a folder of its own, no disk."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tg-openapi-redis-")
        self.socket = os.path.join(self.dir, "redis.sock")
        self.proc = None

    @property
    def uri(self):
        return "unix://" + self.socket

    def start(self):
        exe = shutil.which("redis-server")
        if exe is None:
            raise AssertionError("redis-server missing (Debian: "
                                 "redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--unixsocket", self.socket,
             "--dir", self.dir, "--save", "", "--appendonly", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        # Its log says when it listens ("...ready to accept connections").
        for line in self.proc.stdout:
            if b"ready to accept connections" in line.lower():
                return
        raise AssertionError("redis-server exited before it was ready: "
                             "%s" % self.proc.wait())

    def command(self, *args):
        """One command; its reply's first line."""
        out = b"*%d\r\n" % len(args)
        for arg in args:
            arg = arg.encode("utf-8")
            out += b"$%d\r\n%s\r\n" % (len(arg), arg)
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(self.socket)
            s.sendall(out)
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n")[0]

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc.stdout.close()
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class OpenApiCase(TollgateTestCase):
    """Requests the server as the description tells and checks its
    answers against it."""

    @classmethod
    def load_spec(cls):
        r = cls.server.get("/rest/openapi.json")
        if r.status != 200:
            raise AssertionError("GET /rest/openapi.json: %r" % r)
        cls.served = r
        cls.spec = Spec(r.json())
        cls.covered = set()

    # -- requests --------------------------------------------------------
    def url(self, template, values, raw=None):
        raw = raw or {}

        def one(m):
            name = m.group(1)
            if name in raw:
                return raw[name]
            return urllib.parse.quote(values[name], safe="")
        return re.sub(r"\{([^}/]+)\}", one, template)

    def sample_values(self, **override):
        values = {"app": APP, "streamId": unique_id(), "offset": "0",
                  "size": "10", "sessionId": "no-such-session"}
        values.update(override)
        return values

    def sample_query(self, method, path):
        """The required query parameters, with good values."""
        if self.spec.operation(method, path) is None:
            return None
        known = {"expireDate": str(future()), "type": "play"}
        query = {p["name"]: known[p["name"]]
                 for p in self.spec.parameters(method, path)
                 if p["in"] == "query" and p.get("required")}
        return query or None

    def sample_body(self, method, path):
        """A good body for the operation, or None if it takes none."""
        operation = self.spec.operation(method, path)
        if operation is None or "requestBody" not in operation:
            return None
        return {
            ("POST", B + "/create"): {},
            ("POST", B + "/validate-token"): {
                "tokenId": "A" * 32, "streamId": unique_id(),
                "type": "play"},
            ("PUT", B + "/{streamId}"): {},
            ("POST", SETTINGS): {"hlsListSize": "15"},
        }[(method, path)]

    def call(self, method, path, status, params=None, raw=None, query=None,
             body=None, source=None, invalid=None, empty=False):
        """Requests the documented path (params fill its template, raw
        gives segments as sent), asserts the status, that it is documented
        and the answer as documented, and that the request's inputs match
        the description except the one named by invalid ("body",
        "query:NAME", "path:NAME"). Returns (response, decoded body)."""
        values = self.sample_values(**(params or {}))
        url = self.url(path, values, raw)
        if query is not None:
            url += "?" + (query if isinstance(query, str)
                          else urllib.parse.urlencode(query))
        r = self.server.request(method, url, body=body, source=source)
        self.assertEqual(r.status, status, "%s %s -> %r" % (method, url, r))
        self.assertIsNotNone(self.spec.operation(method, path),
                             "%s %s is not documented" % (method, path))
        decoded = self.check_answer(method, path, r, empty)
        self.check_inputs(method, path, values, raw or {}, query, body,
                          invalid)
        self.covered.add((method, path, str(status)))
        return r, decoded

    # -- answers ---------------------------------------------------------
    def check_answer(self, method, path, r, empty=False, head=None):
        """The answer r as the description of method on path says for its
        status: headers, Content-Type, body (empty: True, the documented
        empty body; None, either; head: the request was a HEAD, no body).
        Returns the decoded body or None."""
        what = "%s %s %d" % (method, path, r.status)
        doc = self.spec.response(method, path, r.status)
        self.assertIsNotNone(doc, "%s: status not documented" % what)
        # The description's info: every answer allows any origin.
        self.assertEqual(r.headers.get("Access-Control-Allow-Origin"), "*",
                         what)
        for name, header in doc.get("headers", {}).items():
            header = self.spec.deref(header)
            value = r.headers.get(name)
            if header.get("required"):
                self.assertIsNotNone(value, "%s: no %s header" % (what, name))
            if value is not None:
                self.assertEqual(self.spec.errors(header["schema"], value),
                                 [], "%s: header %s" % (what, name))
        content = doc.get("content")
        ctype = media_type(r.headers.get("Content-Type"))
        if head is None:
            head = method == "HEAD"
        if head:
            self.assertEqual(r.body, b"", what)
            if content is None and method == "HEAD":
                content = self.spec.response("GET", path,
                                             r.status).get("content")
            if content:
                self.assertIn(ctype, [media_type(k) for k in content], what)
            return None
        if empty is None:
            empty = r.body == b""
        if empty:
            self.assertIn("x-empty-body", doc,
                          "%s: an empty body is not documented" % what)
            self.assertEqual(r.body, b"", what)
            self.assertIsNone(ctype, what)
            return None
        if not content:
            self.assertEqual(r.body, b"", "%s: a body not documented" % what)
            return None
        types = {media_type(k): v for k, v in content.items()}
        self.assertIn(ctype, types, "%s: Content-Type" % what)
        if ctype.startswith("image/"):
            # binary: the description says no more of it
            self.assertEqual(types[ctype]["schema"],
                             {"type": "string", "format": "binary"}, what)
            self.assertGreater(len(r.body), 0, what)
            return r.body
        if ctype == "application/json":
            try:
                decoded = json.loads(r.body.decode("utf-8"))
            except ValueError as e:
                self.fail("%s: body is not JSON (%s): %r" % (what, e,
                                                             r.body[:200]))
        else:
            decoded = r.body.decode("utf-8")
        self.assertEqual(self.spec.errors(types[ctype]["schema"], decoded),
                         [], "%s: %r" % (what, r.body[:300]))
        return decoded

    # -- requests against the description --------------------------------
    def parameter_value(self, parameter, text):
        schema = self.spec.deref(parameter["schema"])
        if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+",
                                                            text):
            return int(text)
        return text

    def check_inputs(self, method, path, values, raw, query, body, invalid):
        if isinstance(query, str):
            query = dict(urllib.parse.parse_qsl(query,
                                                keep_blank_values=True))
        query = query or {}
        bad = set()
        for p in self.spec.parameters(method, path):
            name = "%s:%s" % (p["in"], p["name"])
            if p["in"] == "path" and p["name"] in raw:
                try:
                    text = urllib.parse.unquote_to_bytes(
                        raw[p["name"]]).decode("utf-8")
                except UnicodeDecodeError:
                    bad.add(name)
                    continue
            elif p["in"] == "path":
                text = values[p["name"]]
            elif p["name"] in query:
                text = str(query[p["name"]])
            else:
                if p.get("required"):
                    bad.add(name)
                continue
            if self.spec.errors(p["schema"], self.parameter_value(p, text)):
                bad.add(name)
        request_body = self.spec.operation(method, path).get("requestBody")
        if request_body is not None:
            if body is None or body == "":
                if request_body.get("required"):
                    bad.add("body")
            else:
                try:
                    value = json.loads(body) if isinstance(body, str) \
                        else body
                except ValueError:
                    bad.add("body")
                else:
                    schema = request_body["content"]["application/json"][
                        "schema"]
                    if self.spec.errors(schema, value):
                        bad.add("body")
        self.assertEqual(bad, set() if invalid is None else {invalid},
                         "%s %s: inputs the description refuses (query %r, "
                         "body %r)" % (method, path, query, body))

    def each_documenting(self, status, reference=None):
        """(method, path) of the routes that document status (as the
        response component reference, if given)."""
        for method, path in sorted(self.spec.routes()):
            doc = self.spec.doc["paths"][path][method.lower()]["responses"]
            if status not in doc:
                continue
            if reference is None or doc[status] == {
                    "$ref": "#/components/responses/" + reference}:
                yield method, path

    def assert_covered(self, wanted):
        documented = {t for t in self.spec.statuses()
                      if wanted(t) and t not in UNREACHABLE}
        self.assertEqual(documented - self.covered, set(),
                         "documented statuses no request gave")


class OpenApiTest(OpenApiCase):
    # RTMP on: a live stream's thumbnail
    SERVER_KW = {"extra_args": ["--rtmp-port", "1"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_spec()

    # -- the document ----------------------------------------------------
    def test_served_document_is_the_source_file(self):
        self.assertEqual(self.served.content_type, "application/json")
        with open(os.path.join(SOURCE_ROOT, "data", "openapi.json"),
                  encoding="utf-8") as f:
            self.assertEqual(json.load(f), self.spec.doc)

    def test_document_is_openapi_30(self):
        doc = self.spec.doc
        errors = ["%s at %s" % (e.message[:300], list(e.absolute_path))
                  for e in jsonschema.Draft4Validator(
                      OPENAPI_30).iter_errors(doc)]
        self.assertEqual(errors, [])
        for trail, ref in walk_refs(doc):
            with self.subTest(ref=ref, at=trail):
                self.assertTrue(ref.startswith("#/components/"), ref)
                try:
                    target = pointer(doc, ref)
                except (KeyError, IndexError, ValueError):
                    self.fail("%s does not resolve" % ref)
                self.assertIsInstance(target, dict)
                holders = [REF_KINDS[k] for k in trail if k in REF_KINDS]
                self.assertTrue(holders, trail)
                self.assertEqual(ref.split("/")[2], holders[-1], trail)
        ids = [op["operationId"] for path, item in doc["paths"].items()
               for name, op in item.items() if name in OPERATIONS]
        self.assertEqual(len(ids), len(set(ids)), ids)
        for method, path in self.spec.routes():
            with self.subTest(route=(method, path)):
                params = self.spec.parameters(method, path)
                in_path = {p["name"] for p in params if p["in"] == "path"}
                self.assertEqual(in_path,
                                 set(re.findall(r"\{([^}/]+)\}", path)))
                for p in params:
                    self.assertTrue(p["in"] != "path" or p.get("required"),
                                    p)
                    self.assertIn("schema", p)
        for schema in walk_schemas(doc):
            with self.subTest(schema=schema.get("description", schema)):
                if schema.get("type") == "array":
                    self.assertIn("items", schema)
                if schema.get("nullable"):
                    self.assertIn("type", schema)
                if schema.get("additionalProperties") is False:
                    self.assertLessEqual(set(schema.get("required", [])),
                                         set(schema.get("properties", {})))

    def test_routes_are_the_server_routes(self):
        text = source("server/http/tg-rest.c")
        handler = c_block(text, r"\ntg_rest_handle \(", r"\n\}")
        for name in FIXED_NAMES:
            self.assertIn('"%s"' % name, handler)
        routes = set(FIXED_ROUTES)
        for table, prefix in (("broadcast_routes", "/{}/rest/v2/broadcasts/"),
                              ("settings_routes",
                               "/rest/v2/applications/settings/")):
            rows = route_table(text, table)
            self.assertGreater(len(rows), 0, table)
            for method, pattern in rows:
                routes.add((method, prefix + "/".join(
                    "{}" if part == "*" else part
                    for part in pattern.split("/"))))
        documented = {(method, re.sub(r"\{[^}/]+\}", "{}", path))
                      for method, path in self.spec.routes()}
        self.assertEqual(documented, routes)

    def test_fields_are_the_server_fields(self):
        ant = source("server/core/tg-ant-fields.c")

        def ant_names(table):
            return set(re.findall(r'"(\w+)"', c_block(
                ant, r"static const char \*const %s\[\] = \{" % table)))

        def split(schema):
            props = schema["properties"]
            return ({n for n, s in props.items()
                     if not s.get("x-tollgate-ignored")},
                    {n for n, s in props.items()
                     if s.get("x-tollgate-ignored")})

        field_type = {"STRING": "string", "INT": "integer",
                      "BOOL": "boolean"}
        # The broadcast body: tg-rest-broadcasts.c's table, all nullable.
        rows = re.findall(r'\{ "(\w+)", TG_FIELD_(\w+), (?:TRUE|FALSE) \}',
                          c_block(source("server/http/tg-rest-broadcasts.c"),
                                  r"broadcast_fields\[\]"))
        schema = self.spec.component("BroadcastInput")
        used, ignored = split(schema)
        self.assertEqual(used, {n for n, _ in rows})
        self.assertEqual(ignored, ant_names("broadcast_fields"))
        for name, kind in rows:
            self.assertEqual(schema["properties"][name]["type"],
                             field_type[kind], name)
            self.assertIs(schema["properties"][name].get("nullable"), True,
                          name)
        # The token to validate: tg-rest-tokens.c's table.
        rows = re.findall(r'\{ "(\w+)", TG_FIELD_(\w+), (TRUE|FALSE) \}',
                          c_block(source("server/http/tg-rest-tokens.c"),
                                  r"token_fields\[\]"))
        schema = self.spec.component("TokenValidation")
        self.assertEqual(set(schema["properties"]), {n for n, _, _ in rows})
        self.assertEqual(set(schema["required"]),
                         {n for n, _, req in rows if req == "TRUE"})
        # Settings: tg-settings.c's table, out and in.
        rows = re.findall(r'F \("(\w+)", FIELD_(\w+),',
                          source("server/core/tg-settings.c"))
        kind_type = {"BOOL": "boolean", "ENCODERS": "array"}
        out = self.spec.component("Settings")
        self.assertEqual(set(out["properties"]), {n for n, _ in rows})
        self.assertEqual(set(out["required"]), {n for n, _ in rows})
        for name, kind in rows:
            self.assertEqual(out["properties"][name]["type"],
                             kind_type.get(kind, "string"), name)
        used, ignored = split(self.spec.component("SettingsUpdate"))
        self.assertEqual(used, {n for n, _ in rows})
        self.assertEqual(ignored, ant_names("settings_fields"))

    # -- every route, every status ---------------------------------------
    def test_every_route_gives_its_documented_answers(self):
        for group in ("create", "list_and_count", "validate", "mint", "jwt",
                      "tokens", "sessions", "stop", "thumbnail", "broadcast",
                      "settings",
                      "server",
                      "bad_encoding", "refused_address", "unknown_app",
                      "too_large", "other_methods"):
            with self.subTest(group):
                getattr(self, "_" + group)()
        self.assert_covered(
            lambda t: t[2] not in STORE_STATUSES or t in NOT_STORE)

    def _create(self):
        path = B + "/create"
        _, made = self.call("POST", path, 200, body={})
        self.assertEqual(made["status"], "created")
        self.assertRegex(made["streamId"], r"^[A-Za-z0-9]{20}$")
        sid = unique_id()
        _, made = self.call("POST", path, 200,
                            body={"streamId": " %s " % sid, "name": "n",
                                  "description": None, "mp4Enabled": True})
        self.assertEqual((made["streamId"], made["name"]), (sid, "n"))
        _, r = self.call("POST", path, 400, body={"streamId": sid})
        self.assertEqual(r["message"], MSG_ID_USED)
        _, r = self.call("POST", path, 400, body={"streamId": "a b"},
                         invalid="body")
        self.assertEqual(r["message"], MSG_ID_INVALID)
        for body, message in (({"bogus": 1}, "bogus: unknown field"),
                              ({"name": 3}, "name: must be a string"),
                              ({"type": "vod"},
                               "type: only liveStream is supported"),
                              ("[]", "Request body must be a JSON object")):
            _, r = self.call("POST", path, 400, body=body, invalid="body")
            self.assertEqual(r["message"], message)

    def _list_and_count(self):
        sids = [self.call("POST", B + "/create", 200, body={})[1]["streamId"]
                for _ in range(2)]
        _, listed = self.call("GET", B + "/list/{offset}/{size}", 200,
                              params={"size": "100"})
        self.assertLessEqual(set(sids), {b["streamId"] for b in listed})
        self.assertLessEqual(len(listed), 50)
        _, number = self.call("GET", B + "/count", 200)
        self.assertGreaterEqual(number["number"], len(listed))
        _, live = self.call("GET", B + "/active-live-stream-count", 200)
        self.assertEqual(live["number"], 0)
        for raw, part in (({"offset": "a"}, "path:offset"),
                          ({"size": "-1"}, "path:size")):
            _, r = self.call("GET", B + "/list/{offset}/{size}", 400,
                             raw=raw, invalid=part)
            self.assertEqual(r["message"],
                             "offset and size must be whole numbers")

    def mint(self, stream, type="play", app=APP, room=None):
        query = {"expireDate": future(), "type": type}
        if room is not None:
            query["roomId"] = room
        _, token = self.call("GET", B + "/{streamId}/token", 200,
                             params={"streamId": stream, "app": app},
                             query=query)
        self.assertEqual((token["streamId"], token["type"],
                          token["roomId"]), (stream, type, room))
        return token

    def _validate(self):
        path = B + "/validate-token"
        token = self.mint(unique_id())
        _, r = self.call("POST", path, 200, body=token_body(token))
        self.assertIs(r["success"], True)
        _, r = self.call("POST", path, 200, body=token_body(token))
        self.assertIs(r["success"], False)
        for body, message in (
                ({"tokenId": "a", "type": "play"}, "streamId: missing"),
                ({"tokenId": "a", "type": "x", "streamId": "s"},
                 "Invalid token type. Supported types are 'play' and "
                 "'publish'"),
                (dict(token_body(token), zz=1), "zz: unknown field"),
                ({"streamId": "s", "type": "play"}, "tokenId: missing"),
                ("nope", "Request body must be a JSON object")):
            _, r = self.call("POST", path, 200, body=body, invalid="body")
            self.assertEqual((r["success"], r["message"]), (False, message))

    def _mint(self):
        path = B + "/{streamId}/token"
        self.mint(unique_id(), "publish")
        self.mint(unique_id(), "play", room="room1")
        now = future()
        for query, part, message in (
                ({"expireDate": now}, "query:type", MSG_DEFINE),
                ({"type": "play"}, "query:expireDate", MSG_DEFINE),
                ({"expireDate": "abc", "type": "play"}, "query:expireDate",
                 MSG_DEFINE),
                ({"expireDate": now, "type": "Play"}, "query:type",
                 "Invalid token type. Supported types are 'play' and "
                 "'publish'"),
                ({"expireDate": 10, "type": "play"}, None,
                 "expireDate must be in the future (unix seconds)"),
                ({"expireDate": now * 1000, "type": "play"},
                 "query:expireDate",
                 "expireDate looks like milliseconds: give it in unix "
                 "seconds"),
                ({"expireDate": now, "type": "play", "roomId": "a b"},
                 "query:roomId", "roomId is not valid.")):
            _, r = self.call("GET", path, 400, query=query, invalid=part)
            self.assertEqual(r["message"], message)
        _, r = self.call("GET", path, 400, raw={"streamId": "a%20b"},
                         query={"expireDate": now, "type": "play"},
                         invalid="path:streamId")
        self.assertEqual(r["message"], MSG_ID_INVALID)

    def _jwt(self):
        path = B + "/{streamId}/jwt-token"
        query = {"expireDate": future(), "type": "publish"}
        _, r = self.call("GET", path, 400, params={"app": APP3}, query=query)
        self.assertIn("jwtStreamSecretKey", r["message"])
        _, r = self.call("POST", SETTINGS, 200, params={"app": APP2},
                         body={"jwtStreamSecretKey": unique_id("k") * 4})
        self.assertIs(r["success"], True, r)
        sid = unique_id()
        _, token = self.call("GET", path, 200,
                             params={"app": APP2, "streamId": sid},
                             query=query)
        payload = token["tokenId"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(
            payload + "=" * (-len(payload) % 4)))
        self.assertEqual(claims, {"streamId": sid, "type": "publish",
                                  "exp": query["expireDate"]})
        self.call("GET", path, 400, params={"app": APP2},
                  query=dict(query, type="both"), invalid="query:type")

    def _tokens(self):
        sid = unique_id()
        minted = {self.mint(sid)["tokenId"] for _ in range(2)}
        listed_path = B + "/{streamId}/tokens/list/{offset}/{size}"
        _, listed = self.call("GET", listed_path, 200,
                              params={"streamId": sid})
        self.assertEqual({t["tokenId"] for t in listed}, minted)
        _, r = self.call("DELETE", B + "/{streamId}/tokens", 200,
                         params={"streamId": sid})
        self.assertIs(r["success"], True)
        _, listed = self.call("GET", listed_path, 200,
                              params={"streamId": sid})
        self.assertEqual(listed, [])
        self.call("GET", listed_path, 400, raw={"size": "x"},
                  invalid="path:size")
        self.call("DELETE", B + "/{streamId}/tokens", 400,
                  raw={"streamId": "%FF"}, invalid="path:streamId")

    def _sessions(self):
        sid = unique_id()
        listed = B + "/{streamId}/sessions"
        _, got = self.call("GET", listed, 200, params={"streamId": sid})
        self.assertEqual(got, [])
        # A playback session: opened by its token, even for a file that is
        # not there (PROTOCOL 3).
        self.server.set_settings({"playTokenControlEnabled": True})
        try:
            token = self.mint(sid)["tokenId"]
            r = self.server.get("/%s/streams/%s.m3u8?token=%s"
                                % (APP, sid, token))
            self.assertEqual(r.status, 404, r)
            _, got = self.call("GET", listed, 200, params={"streamId": sid})
        finally:
            self.server.set_settings({"playTokenControlEnabled": False})
        self.assertEqual([(s["door"], s["type"]) for s in got],
                         [("HLS", "play")])
        one = listed + "/{sessionId}"
        self.call("DELETE", one, 200,
                  params={"streamId": sid, "sessionId": got[0]["sessionId"]})
        _, r = self.call("DELETE", one, 404, params={"streamId": sid})
        self.assertEqual(r["message"], "No such session")
        _, r = self.call("DELETE", listed, 200, query={"type": "play"})
        self.assertEqual(r["dataId"], "0")
        _, r = self.call("DELETE", listed, 400, query={"type": "x"},
                         invalid="query:type")
        self.assertEqual(r["message"], "type must be play or publish")
        self.call("DELETE", B + "/{streamId}/tokens", 200,
                  query={"sessions": "true"})
        _, r = self.call("DELETE", B + "/{streamId}/tokens", 400,
                         query={"sessions": "yes"}, invalid="query:sessions")
        self.assertEqual(r["message"], "sessions must be true or false")

    def _stop(self):
        _, r = self.call("POST", B + "/{streamId}/stop", 200)
        self.assertEqual((r["success"], r["message"]), (False, None))

    def publish(self, stream, gop):
        """An ffmpeg publisher as users send, over RTMP, for a minute."""
        argv = (["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                 "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                 "-f", "lavfi", "-i", USER_TONE, "-t", "60"]
                + USER_VIDEO[:USER_VIDEO.index("-g")] + ["-g", str(gop)]
                + USER_AUDIO
                + ["-f", "flv", "rtmp://127.0.0.1:%d/%s/%s"
                   % (self.server.rtmp_port, APP, stream)])
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

        def stop():
            proc.kill()
            proc.wait(timeout=20)
        self.addCleanup(stop)

    def _thumbnail(self):
        path = B + "/{streamId}/thumbnail"
        _, r = self.call("GET", path, 404)
        self.assertEqual(r["message"], "Stream is not live")
        # One publisher with a key frame a second, one with its first only
        # (its thumbnail waits for a key frame that does not come).
        moving, stuck = unique_id(), unique_id()
        self.publish(moving, 25)
        self.publish(stuck, 100000)
        deadline = time.monotonic() + 30
        while self.server.get(self.url(path, self.sample_values(
                streamId=moving))).status != 200:
            self.assertLess(time.monotonic(), deadline, "no thumbnail")
            time.sleep(0.2)
        # Kept 2 s: served again.
        self.call("GET", path, 200, params={"streamId": moving})
        while self.server.get(self.url(B + "/{streamId}", self.sample_values(
                streamId=stuck))).body.find(b'"broadcasting"') < 0:
            self.assertLess(time.monotonic(), deadline, "not live")
            time.sleep(0.2)
        _, r = self.call("GET", path, 503, params={"streamId": stuck})
        self.assertEqual(r["message"], "No frame yet")

    def _broadcast(self):
        path = B + "/{streamId}"
        sid = self.call("POST", B + "/create", 200,
                        body={"name": "before"})[1]["streamId"]
        _, got = self.call("GET", path, 200, params={"streamId": sid})
        self.assertEqual(got["name"], "before")
        self.call("GET", path, 404, empty=True)
        for method, body in (("GET", None), ("PUT", {}), ("DELETE", None)):
            _, r = self.call(method, path, 400, raw={"streamId": "%FF"},
                             body=body, invalid="path:streamId")
            self.assertEqual(r["message"], "key is missing or invalid")
        _, r = self.call("PUT", path, 200, params={"streamId": sid},
                         body={"name": "after", "description": "d",
                               "status": "finished", "zombi": None})
        self.assertIs(r["success"], True, r)
        _, after = self.call("GET", path, 200, params={"streamId": sid})
        self.assertEqual((after["name"], after["description"],
                          after["status"]), ("after", "d", "created"))
        self.assertGreaterEqual(after["updateTime"], got["updateTime"])
        missing = unique_id()
        _, r = self.call("PUT", path, 200, params={"streamId": missing},
                         body={"name": "x"})
        self.assertEqual((r["success"], r["message"]), (
            False, "Broadcast with streamId: %s does not exist" % missing))
        for body, message in (({"bogus": 1}, "bogus: unknown field"),
                              ({"name": True}, "name: must be a string"),
                              ("x", "Request body must be a JSON object")):
            _, r = self.call("PUT", path, 200, params={"streamId": sid},
                             body=body, invalid="body")
            self.assertEqual((r["success"], r["message"]), (False, message))
        _, r = self.call("DELETE", path, 200, params={"streamId": sid})
        self.assertEqual((r["success"], r["message"]),
                         (True, MSG_DELETED_NOT_LIVE))
        _, r = self.call("DELETE", path, 200, params={"streamId": sid})
        self.assertEqual((r["success"], r["message"]), (False, None))
        self.call("GET", path, 404, params={"streamId": sid}, empty=True)

    def _settings(self):
        app = {"app": APP3}
        _, settings = self.call("GET", SETTINGS, 200, params=app)
        # What GET gives, POST takes back (Ant Media's clients do that).
        _, r = self.call("POST", SETTINGS, 200, params=app, body=settings)
        self.assertIs(r["success"], True, r)
        ladder = [{"height": 240, "videoBitrate": 300000},
                  {"height": 480, "videoBitrate": 1000000,
                   "audioBitrate": 96000}]
        _, r = self.call("POST", SETTINGS, 200, params=app,
                         body={"hlsTime": "2.5", "hlsListSize": 4,
                               "encoderSettings": ladder,
                               "srtPassphrase": "0123456789",
                               "aacEncodingEnabled": True})
        self.assertIs(r["success"], True, r)
        _, now = self.call("GET", SETTINGS, 200, params=app)
        self.assertEqual((now["hlsTime"], now["hlsListSize"],
                          now["encoderSettings"], now["srtPassphrase"]),
                         ("2.5", "4", ladder, "0123456789"))
        for body, message in (
                ({"hlsTime": -3},
                 "hlsTime: must be a positive number of seconds"),
                ({"hlsListSize": "1.5"}, "hlsListSize: must be a whole "
                 "number"),
                ({"playTokenControlEnabled": "yes"},
                 "playTokenControlEnabled: must be true or false"),
                ({"srtPassphrase": "short"}, "srtPassphrase: must be empty "
                 "(no encryption) or 10 to 79 characters"),
                ({"encoderSettings": [{"height": 480}]},
                 "encoderSettings: videoBitrate: missing"),
                ({"zz": 1}, "zz: unknown setting")):
            _, r = self.call("POST", SETTINGS, 200, params=app, body=body,
                             invalid="body")
            self.assertEqual((r["success"], r["message"]), (False, message))
        # Refused for what the settings hold, not for its form.
        _, r = self.call("POST", SETTINGS, 200, params=app,
                         body={"publishJwtControlEnabled": True})
        self.assertEqual(r["success"], False)
        self.assertIn("jwtStreamSecretKey", r["message"])
        _, again = self.call("GET", SETTINGS, 200, params=app)
        self.assertEqual(again, now)

    def _server(self):
        _, health = self.call("GET", "/healthz", 200)
        self.assertEqual(health, {"status": "ok"})
        self.call("HEAD", "/healthz", 200)
        _, text = self.call("GET", "/metrics", 200)
        self.assertIn("tollgate_http_requests_total", text)
        self.call("HEAD", "/metrics", 200)
        _, apps = self.call("GET", "/rest/v2/applications", 200)
        self.assertEqual(apps, {"applications": [APP, APP2, APP3]})
        _, info = self.call("GET", "/rest/v2/server", 200)
        self.assertEqual(info["ports"]["http"], self.server.http_port)
        self.assertEqual(info["ports"]["rtmp"], self.server.rtmp_port)
        _, decisions = self.call("GET", "/rest/v2/token-decisions", 200)
        self.assertEqual(decisions["points"][-1]["time"] % 60000, 0)
        for path in SERVER_ROUTES:
            self.call("HEAD", path, 200)
        r, doc = self.call("GET", "/rest/openapi.json", 200)
        self.assertEqual(doc, self.spec.doc)
        self.assertEqual(r.headers.get("Cache-Control"), "no-cache")
        self.call("HEAD", "/rest/openapi.json", 200)

    def _bad_encoding(self):
        """An invalid escape in the query: 400 on every route."""
        for method, path in self.each_documenting("400"):
            query = urllib.parse.urlencode(
                self.sample_query(method, path) or {})
            _, r = self.call(method, path, 400, query=query + "&x=%FF",
                             body=self.sample_body(method, path))
            if method != "HEAD":
                self.assertEqual(r["message"],
                                 "Query is not validly percent-encoded")
        _, r = self.call("GET", B + "/{streamId}", 400,
                         raw={"streamId": "a%2Fb"}, invalid="path:streamId")
        self.assertEqual(r["message"], "Path is not validly percent-encoded")

    def _refused_address(self):
        for method, path in self.each_documenting("403"):
            self.call(method, path, 403, source=REFUSED_SOURCE,
                      query=self.sample_query(method, path),
                      body=self.sample_body(method, path))
        # Not closed: the health and this description.
        self.call("GET", "/healthz", 200, source=REFUSED_SOURCE)
        self.call("GET", "/rest/openapi.json", 200, source=REFUSED_SOURCE)

    def _unknown_app(self):
        for method, path in self.each_documenting("404"):
            _, r = self.call(method, path, 404, params={"app": NO_APP},
                             query=self.sample_query(method, path),
                             body=self.sample_body(method, path))
            self.assertEqual(r["message"], "Application not found")

    def _too_large(self):
        for method, path in self.each_documenting("413"):
            self.call(method, path, 413, body="x" * (MAX_BODY + 1),
                      invalid="body")

    def _other_methods(self):
        """Each method a path does not document: 405, unless another
        documented path takes that URL with it (GET .../create is
        GET .../{streamId}), then as that one documents."""
        for path in sorted(self.spec.doc["paths"]):
            documented = self.spec.methods(path)
            if not any(self.spec.response(m, path, 405) for m in documented):
                continue
            url = self.url(path, self.sample_values())
            for method in PROBE_METHODS:
                if method in documented:
                    continue
                with self.subTest(method=method, path=path):
                    r = self.server.request(method, url)
                    others = [t for t in self.spec.templates_matching(url)
                              if t != path and method in self.spec.methods(t)]
                    if others:
                        self.assertEqual(len(others), 1, others)
                        self.check_answer(method, others[0], r,
                                          empty=None)
                        continue
                    self.assertEqual(r.status, 405, "%s %s" % (method, url))
                    # Allow names the URL's methods, no more, no less
                    # (.../count is also a {streamId}'s).
                    allow = r.headers.get("Allow", "").split(", ")
                    self.assertEqual(len(allow), len(set(allow)), allow)
                    self.assertEqual(set(allow), {
                        m.upper() for t in self.spec.templates_matching(url)
                        for m in self.spec.methods(t)},
                        "%s %s" % (method, url))
                    for m in documented:
                        self.check_answer(m, path, r,
                                          head=method == "HEAD")
                        self.covered.add((m, path, "405"))


class StoreFaultTest(OpenApiCase):
    """The 500s and 503s, on a server over Redis: a record that is not
    JSON, then Redis gone."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisProcess()
        try:
            cls.redis.start()
            cls.SERVER_KW = {"store": cls.redis.uri}
            super().setUpClass()
        except BaseException:
            cls.redis.cleanup()
            raise
        cls.load_spec()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.redis.cleanup()

    def test_store_faults_give_their_documented_answers(self):
        path = B + "/{streamId}"
        sid = self.call("POST", B + "/create", 200, body={})[1]["streamId"]
        # Overwrites the record (":0": a field that was there).
        self.assertEqual(self.redis.command(
            "HSET", "tg:record:broadcast:" + APP, sid, "{not json"), b":0")
        for method, body in (("GET", None), ("PUT", {"name": "x"})):
            _, r = self.call(method, path, 500, params={"streamId": sid},
                             body=body)
            self.assertEqual(r["message"], "Internal server error")
        self.redis.stop()
        for method, path in self.each_documenting("503",
                                                  "StoreUnavailable"):
            with self.subTest(method=method, path=path):
                _, r = self.call(method, path, 503,
                                 query=self.sample_query(method, path),
                                 body=self.sample_body(method, path))
                self.assertEqual(r["message"], "The store is out of reach")
        self.assert_covered(
            lambda t: t[2] in STORE_STATUSES and t not in NOT_STORE)


if __name__ == "__main__":
    unittest.main()
