"""``/reconcile``: the W3C Reconciliation Service API 0.2 of ``citykg serve``.

Every response is checked against the specification's JSON Schemas (copied in
``tests/fixtures/reconciliation/spec-0.2``, which the spec's own valid and
invalid examples check first), by replaying the requests OpenRefine 3.x sends
(``openrefine-3.x-session.json``) to a real ``citykg serve`` over HTTP: one
service over citykg's graph (the shipped gazetteer, networks and ontology),
one over the Wikidata stand-in (``CITYKG_RECONCILE_ENDPOINT``). Expected IDs
come from the data files (``data/gazetteer.ttl``, Natural Earth), not from the
server's output.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from server_fixtures import Server, running_server

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "fixtures" / "reconciliation" / "spec-0.2"
SESSION = ROOT / "tests" / "fixtures" / "reconciliation" / "openrefine-3.x-session.json"
CKG = "https://w3id.org/citykg/ontology#"
CITY = "https://w3id.org/citykg/id/city/"

# one worker runs the module, so its module-scoped server starts once
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_reconcile_api")]


def validator(name: str) -> Any:
    """A Draft 7 validator for one of the spec's schemas, its ``$ref``s resolved locally."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    docs = {}
    for p in (SPEC / "schemas").glob("*.json"):
        doc = json.loads(p.read_text(encoding="utf-8"))
        if "$id" in doc:
            docs[doc["$id"]] = Resource.from_contents(doc, default_specification=_draft7())

    def retrieve(uri: str) -> Any:
        raise NoSuchResource(ref=uri)  # nothing is fetched from the network

    registry = Registry(retrieve=retrieve).with_resources(docs.items())  # type: ignore[call-arg]
    schema = json.loads((SPEC / "schemas" / name).read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=registry)


def _draft7() -> Any:
    from referencing.jsonschema import DRAFT7

    return DRAFT7


EXAMPLES = sorted((SPEC / "examples").glob("*/*/*.json"))
SCHEMA_OF = {
    "manifest": "manifest.json",
    "reconciliation-query-batch": "reconciliation-query-batch.json",
    "reconciliation-result-batch": "reconciliation-result-batch.json",
    "suggest-entities-response": "suggest-entities-response.json",
    "suggest-types-response": "suggest-types-response.json",
    "suggest-properties-response": "suggest-properties-response.json",
}


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.parent.parent.name in SCHEMA_OF],
                         ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_the_schemas_judge_the_spec_examples_as_the_spec_does(example: Path) -> None:
    doc = json.loads(example.read_text(encoding="utf-8"))
    errors = list(validator(SCHEMA_OF[example.parent.parent.name]).iter_errors(doc))
    assert (not errors) == (example.parent.name == "valid"), [e.message for e in errors]


# --- a real server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped ontology, gazetteer and networks as one N-Quads dump."""
    store = ox.Store()
    for name, graph in (("ontology/citykg.ttl", "ontology"), ("data/gazetteer.ttl", "data"),
                        ("data/networks.ttl", "data")):
        store.load(path=str(ROOT / name), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(f"https://w3id.org/citykg/graph/{graph}"))
    out = tmp_path_factory.mktemp("recon") / "graph.nq"
    store.dump(output=str(out), format=ox.RdfFormat.N_QUADS)
    return out


@pytest.fixture(scope="module")
def server(graph_dump: Path, standin_url: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import os

    cache = tmp_path_factory.mktemp("user-cache")
    old = {k: os.environ.get(k) for k in ("CITYKG_RECONCILE_ENDPOINT", "XDG_CACHE_HOME")}
    os.environ.update(CITYKG_RECONCILE_ENDPOINT=standin_url, XDG_CACHE_HOME=str(cache))
    try:
        with running_server(graph_dump, tmp_path_factory.mktemp("serve-recon")) as s:
            yield s
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def call(url: str, method: str = "GET", form: dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = None
    hdrs = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def replay(server: Server, service: str, steps: list[dict[str, Any]]) -> list[Any]:
    """Send the recorded requests; check each answer against its schema; return them."""
    answers = []
    for step in steps:
        raw = json.dumps(step).replace("{service}", service).replace("{CKG}", CKG)
        step = json.loads(raw)
        status, headers, body = call(server.url + step["path"], step["method"], step.get("form"))
        assert status == 200, (step["step"], body[:500])
        if step["schema"] is None:
            assert headers["content-type"].startswith("text/html")
            answers.append(body.decode("utf-8"))
            continue
        assert headers["content-type"].startswith("application/json")
        doc = json.loads(body)
        errors = [e.message for e in validator(step["schema"]).iter_errors(doc)]
        assert not errors, (step["step"], errors)
        if step["schema"] == "reconciliation-result-batch.json":
            assert set(doc) == set(step["form"]["queries"])  # one answer per query
            for answer in doc.values():  # what OpenRefine itself reads (StandardReconConfig)
                for cand in answer["result"]:
                    assert isinstance(cand["type"], list) and isinstance(cand["match"], bool)
                    assert all("id" in t and "name" in t for t in cand["type"])
        answers.append(doc)
    return answers


def test_openrefine_session_against_the_graph(server: Server) -> None:
    session = json.loads(SESSION.read_text(encoding="utf-8"))
    manifest, guess, types, props, batch, suggest, preview = replay(
        server, "/reconcile", session["graph"])
    assert manifest["versions"] == ["0.2"] and manifest["identifierSpace"].startswith("https://")
    assert {t["id"] for t in manifest["defaultTypes"]} >= {CKG + "City", CKG + "Country"}
    # type guessing sees the graph's types
    assert guess["q0"]["result"][0]["id"] == CITY + "q100"
    assert {t["id"] for t in guess["q4"]["result"][0]["type"]} == {CKG + "Network",
                                                                   CKG + "Organization"}
    assert CKG + "City" in {t["id"] for t in types["result"]}
    assert props["result"][0]["id"] == CKG + "country"
    # reconciliation: ids from data/gazetteer.ttl (Natural Earth's WIKIDATAID as the key)
    top = {k: (v["result"][0]["id"] if v["result"] else None,
               bool(v["result"]) and v["result"][0]["match"]) for k, v in batch.items()}
    assert top["q0"] == (CITY + "q100", True)  # Boston, USA
    assert top["q1"] == (CITY + "q90", True)  # paris, France: case-insensitive
    assert top["q2"] == (CITY + "q174", True)  # Sao Paulo, Brasil: accents
    assert top["q4"] == (CITY + "q1489", True)  # Ciudad de México, México: a Spanish label
    assert top["q5"] == (CITY + "q2132", True)  # Victoria, Canada with coordinates
    assert top["q6"] == (None, False)  # Atlantis
    assert top["q7"] == (CITY + "q1490", True)  # Tokyo, with Japan as a reconciled cell
    assert top["q8"] == ("https://w3id.org/citykg/id/country/q41", False)  # a country needs review
    assert "km away" in batch["q5"]["result"][0]["description"]
    assert suggest["result"][0]["id"] == CITY + "q100"
    assert "Boston" in preview and "Q100" in preview


def test_openrefine_session_against_wikidata(server: Server) -> None:
    session = json.loads(SESSION.read_text(encoding="utf-8"))
    manifest, guess, batch, types, props, suggest, preview = replay(
        server, "/reconcile/wikidata", session["wikidata"])
    assert manifest["identifierSpace"] == "http://www.wikidata.org/entity/"
    assert guess["q0"]["result"][0]["id"] == "Q495"  # Turin
    res = {k: v["result"] for k, v in batch.items()}
    assert (res["q0"][0]["id"], res["q0"][0]["match"]) == ("Q495", True)  # Turin
    # Saint-Denis, France: Réunion's (Q47045) is never an automatic match while the
    # untyped Saint-Denis Q160506 cannot be ruled out
    assert not any(c["match"] for c in res["q1"])
    assert {"Q47045", "Q160506"} <= {c["id"] for c in res["q1"]}
    assert (res["q2"][0]["id"], res["q2"][0]["match"]) == ("Q727", True)  # Amsterdam, by distance
    assert types["result"] == [{"id": "Q15284", "name": "municipality"}]
    assert props["result"][0]["id"] == "P625"
    assert suggest["result"][0]["id"] == "Q495"
    assert "Q495" in preview and "Q38" in preview


@pytest.mark.parametrize(("form", "message"), [
    ({"queries": "{not json"}, "not JSON"),
    ({"queries": {"q0": {"qury": "Boston"}}}, "unknown member"),
    ({"queries": {"q0": {}}}, "needs a 'query'"),
    ({"queries": {f"q{i}": {"query": "x"} for i in range(101)}}, "at most 100"),
    ({"queries": {"q0": {"query": "x" * 501}}}, "at most 500"),
])
def test_bad_batches_get_a_400_with_a_message(server: Server, form: dict[str, Any],
                                              message: str) -> None:
    status, headers, body = call(server.url + "/reconcile", "POST", form)
    assert status == 400 and headers["content-type"].startswith("application/json")
    assert message in json.loads(body)["message"]


def test_get_queries_json_post_and_cors(server: Server) -> None:
    q = json.dumps({"q0": {"query": "Boston", "type": CKG + "City"}})
    status, _, body = call(server.url + "/reconcile?" + urllib.parse.urlencode({"queries": q}))
    assert status == 200 and json.loads(body)["q0"]["result"][0]["id"] == CITY + "q100"
    status, _, body = call(server.url + "/reconcile", "POST", None)
    assert status == 200 and json.loads(body)["versions"] == ["0.2"]  # no queries: the manifest
    status, headers, _ = call(server.url + "/reconcile", headers={"Origin": "http://localhost:3333"})
    assert headers.get("access-control-allow-origin") in ("*", "http://localhost:3333")
    status, _, body = call(server.url + "/reconcile/preview?id=https://example.org/x")
    assert status == 404
    status, _, body = call(server.url + "/reconcile/wikidata/preview?id=" +
                           urllib.parse.quote("Q1 } DROP ALL"))
    assert status == 404  # an id is never pasted into a query unless it is a QID


@pytest.mark.parametrize("example", sorted((SPEC / "examples" / "reconciliation-query-batch")
                                           .glob("*/*.json")), ids=lambda p: p.parent.name + "/" + p.name)
def test_the_spec_query_examples_are_answered_or_refused(server: Server, example: Path) -> None:
    batch = json.loads(example.read_text(encoding="utf-8"))
    status, _, body = call(server.url + "/reconcile", "POST", {"queries": batch})
    if example.parent.name == "invalid":
        assert status == 400, body
        return
    assert status == 200, body
    doc = json.loads(body)
    assert set(doc) == set(batch)
    assert not [e.message for e in validator("reconciliation-result-batch.json").iter_errors(doc)]


def test_a_type_of_another_service_finds_nothing(server: Server) -> None:
    status, _, body = call(server.url + "/reconcile", "POST",
                           {"queries": {"q0": {"query": "Boston", "type": "Q0"}}})
    assert status == 200 and json.loads(body) == {"q0": {"result": []}}
