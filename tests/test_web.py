"""The web desk's routes and JSON API, through Starlette's test client, on SQLite and PostgreSQL:
every API answer is the CLI's --json for the same parameters, pages escape user text, the
desk refuses writes, bad parameters and missing tokens with one line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient

from rumour_ledger.cli.web.app import HEADERS, create_app
from rumour_ledger.projections.bootstrap import open_ledger
from rumour_ledger.projections.likelihood import Settings

ALONSO = "Xabi Alonso -> Real Madrid"
# Without a token the desk answers only to a Host naming this machine (not "testserver").
HERE = "http://localhost"


@pytest.fixture
def desk(rumour_on_demo: Callable[..., Any], location: str) -> Iterator[TestClient]:
    with (
        open_ledger(location, create=False) as ledger,
        TestClient(create_app(ledger, Settings(), interval=0.05), base_url=HERE) as client,
    ):
        yield client


def cli_json(rumour: Callable[..., Any], *args: str) -> Any:
    result = rumour(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def alonso_id(rumour: Callable[..., Any]) -> str:
    return cli_json(rumour, "why", ALONSO)["rumour"]["id"]


# Each endpoint, and the CLI command that must print the same document.
SAME_ANSWERS = [
    ("/api/board?limit=50", ["board", "--limit", "50"]),
    ("/api/board", ["board", "--limit", "50"]),
    ("/api/board?as_of=2024-12-31", ["board", "--as-of", "2024-12-31", "--limit", "50"]),
    (
        "/api/board?as_of=2024-12-10&known_at=2030-01-01T00:00:00Z&status=open&min=0.2",
        [
            "board",
            "--as-of",
            "2024-12-10",
            "--known-at",
            "2030-01-01T00:00:00Z",
            "--status",
            "open",
            "--min",
            "0.2",
            "--limit",
            "50",
        ],
    ),
    (
        "/api/board?q=alonso&sort=label&limit=1&page=2&as_of=2024-12-31",
        [
            "board",
            "--text",
            "alonso",
            "--sort",
            "label",
            "--limit",
            "1",
            "--page",
            "2",
            "--as-of",
            "2024-12-31",
        ],
    ),
    ("/api/rumour/{id}?as_of=2024-12-31", ["why", "{id}", "--as-of", "2024-12-31"]),
    (
        "/api/rumour/{id}?as_of=2024-12-10&known_at=2024-12-01",
        ["why", "{id}", "--as-of", "2024-12-10", "--known-at", "2024-12-01"],
    ),
    (
        "/api/rumour/{id}/timeline?since=2024-10-01&until=2024-12-31",
        ["timeline", "{id}", "--since", "2024-10-01", "--until", "2024-12-31"],
    ),
    ("/api/rumour/{id}/timeline?as_of=2024-12-31", ["timeline", "{id}", "--until", "2024-12-31"]),
    ("/api/rumour/{id}/claims", ["show", "{id}"]),
    ("/api/rumour/{id}/claims?as_of=2024-03-30", ["show", "{id}", "--as-of", "2024-03-30"]),
    ("/api/source/Sport?as_of=2025-06-30", ["audit", "source", "Sport", "--as-of", "2025-06-30"]),
    ("/api/sources", ["sources"]),
    (
        "/api/sources?sort=claims&as_of=2024-12-31",
        ["sources", "--sort", "claims", "--as-of", "2024-12-31"],
    ),
    ("/api/audit", ["audit", "log"]),
    (
        "/api/audit?since=2020-01-01&recorded_by=demo",
        ["audit", "log", "--since", "2020-01-01", "--recorded-by", "demo"],
    ),
]


@pytest.mark.parametrize(("url", "args"), SAME_ANSWERS, ids=[u for u, _ in SAME_ANSWERS])
def test_every_api_answer_is_the_clis_json_for_the_same_parameters(desk, rumour_on_demo, url, args):
    rumour_id = alonso_id(rumour_on_demo)
    answer = desk.get(url.replace("{id}", rumour_id))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    expected = cli_json(rumour_on_demo, *(a.replace("{id}", rumour_id) for a in args))
    assert answer.json() == expected
    assert expected, "an empty answer proves nothing"


def test_the_rumour_page_shows_the_figure_why_gives_and_every_claim(desk, rumour_on_demo):
    why = cli_json(rumour_on_demo, "why", ALONSO, "--as-of", "2024-12-31")
    page = desk.get(f"/rumour/{why['rumour']['id']}?as_of=2024-12-31")
    assert page.status_code == 200
    assert f'id="likelihood">{why["likelihood"]:.0%}<' in page.text
    assert f'id="why-total">{why["likelihood"]:.0%}<' in page.text
    for part in why["contributions"]:
        assert f"{part['points']:+.1f} pts" in page.text
    assert '<svg class="chart"' in page.text and 'class="claim-mark"' in page.text
    shown = cli_json(rumour_on_demo, "show", ALONSO, "--as-of", "2024-12-31")
    for event in shown["events"]:
        assert event["id"][:8] in page.text


def test_a_rumour_named_by_text_in_the_url_is_found(desk):
    page = desk.get("/rumour/Xabi Alonso -> Real Madrid?as_of=2024-12-31")
    assert page.status_code == 200
    assert "Xabi Alonso: Bayer Leverkusen -&gt; Real Madrid" in page.text


def test_the_board_page_lists_moves_with_the_clis_percentages_and_keeps_the_clocks_in_links(
    desk, rumour_on_demo
):
    rows = cli_json(rumour_on_demo, "board", "--as-of", "2024-12-31")
    page = desk.get("/?as_of=2024-12-31&known_at=2030-01-01&token=")
    assert page.status_code == 200
    for row in rows:
        assert row["label"].replace(">", "&gt;") in page.text
        assert f'<span class="figure">{row["likelihood"]:.0%}</span>' in page.text
        assert f"/rumour/{row['id']}?as_of=2024-12-31&amp;known_at=2030-01-01" in page.text


def test_the_board_changes_with_the_as_of_day(desk):
    before = desk.get("/api/board?as_of=2024-01-01").json()
    after = desk.get("/api/board?as_of=2024-12-31").json()
    assert [r["label"] for r in before] != [r["label"] for r in after]


@pytest.mark.parametrize(
    "url",
    ["/source/Sport?as_of=2025-06-30", "/sources?as_of=2024-12-31", "/audit", "/audit?page=1"],
)
def test_the_other_pages_render(desk, url):
    page = desk.get(url)
    assert page.status_code == 200, page.text
    assert "<main>" in page.text


def test_a_source_with_few_scored_calls_says_there_is_not_enough_data(desk):
    page = desk.get("/source/SPOX")
    assert "not enough data" in page.text


def test_user_text_renders_as_text_never_as_markup(desk, rumour_on_demo):
    recorded = rumour_on_demo(
        "report",
        "Evil <b>Player</b>",
        "--to",
        "Club <i>X</i>",
        "--role",
        "player",
        "--source",
        "<script>alert('source')</script>",
        "--date",
        "2024-11-01",
        "--claim",
        "<script>alert('claim')</script>",
        "--url",
        'https://example.org/"><script>alert(1)</script>',
    )
    assert recorded.exit_code == 0, recorded.output
    desk.app.state.desk.watcher.check()
    pages = [
        desk.get("/?as_of=2024-12-31").text,
        desk.get("/rumour/Evil <b>Player</b> -> Club <i>X</i>?as_of=2024-12-31").text,
        desk.get("/source/<script>alert('source')</script>").text,
        desk.get("/audit").text,
        desk.get("/sources").text,
    ]
    for text in pages:
        assert "<script>alert" not in text
        assert "<b>Player" not in text
        assert '"><script>' not in text
    assert "&lt;script&gt;alert(&#39;claim&#39;)&lt;/script&gt;" in pages[1]
    assert "Evil &lt;b&gt;Player&lt;/b&gt;" in pages[0]


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/?min=2", 400, "min"),
        ("/api/board?min=nan", 400, "min"),
        ("/api/board?status=maybe", 400, "status"),
        ("/api/board?sort=random", 400, "sort"),
        ("/api/board?page=0", 400, "page"),
        ("/api/board?limit=abc", 400, "limit"),
        ("/api/board?limit=100000", 400, "limit"),
        ("/api/board?as_of=yesterday", 400, "as-of"),
        ("/api/board?known_at=soon", 400, "known-at"),
        ("/api/rumour/Xabi Alonso -> Real Madird", 404, "did you mean"),
        ("/rumour/Xabi Alonso -> Real Madird", 404, "did you mean"),
        ("/api/rumour/Xabi Alonso -> Real Madrid/timeline?since=1900-01-01", 400, "days"),
        ("/api/source/Nobody Ever", 404, "Nobody Ever"),
        ("/api/sources?sort=luck", 400, "sort"),
        ("/no/such/page", 404, "no such page"),
    ],
)
def test_bad_parameters_get_a_4xx_with_one_line_and_no_traceback(desk, url, status, words):
    answer = desk.get(url)
    assert answer.status_code == status, answer.text
    assert "Traceback" not in answer.text
    if url.startswith("/api/"):
        message = answer.json()["error"]
        assert "\n" not in message
    else:
        message = answer.text
    assert words in message


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/", "/api/board", "/rumour/x", "/static/desk.js", "/nowhere"])
def test_there_is_no_write_endpoint(desk, method, url):
    answer = desk.request(method, url)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"


def test_head_is_answered(desk):
    assert desk.head("/").status_code == 200


@pytest.mark.parametrize("url", ["/", "/api/board", "/static/desk.css", "/nowhere", "/?min=9"])
def test_every_response_carries_the_security_headers(desk, url):
    answer = desk.get(url)
    for name, value in HEADERS.items():
        assert answer.headers[name] == value
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]


def test_the_pages_load_no_inline_script_and_nothing_from_elsewhere(desk):
    text = desk.get("/?as_of=2024-12-31").text
    assert '<script src="/static/desk.js" defer></script>' in text
    assert text.count("<script") == 1
    assert "http://" not in text and "https://" not in text
    assert desk.get("/static/desk.js").status_code == 200


def test_with_a_token_every_request_must_carry_it(rumour_on_demo, location):
    with (
        open_ledger(location, create=False) as ledger,
        TestClient(create_app(ledger, Settings(), token="s3cret")) as client,
    ):
        assert client.get("/").status_code == 401
        assert client.get("/api/board?token=wrong").status_code == 401
        assert client.get("/api/board", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/api/board?token=s3cret").status_code == 200
        assert (
            client.get("/api/board", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        )
        page = client.get("/?token=s3cret&as_of=2024-12-31")
        assert page.status_code == 200
        assert "as_of=2024-12-31&amp;token=s3cret" in page.text  # links keep the token
        assert client.get("/static/desk.css").status_code == 200  # no data in them


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:9", "[::1]", "[::1]:8080"]
)
def test_without_a_token_a_host_naming_this_machine_is_answered(desk, host):
    assert desk.get("/api/board", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8080", "localhost.evil.example", "10.0.0.1", "testserver", ""],
)
def test_without_a_token_any_other_host_gets_400_in_one_line(desk, host):
    """DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and reads the
    desk through the reader's browser; the browser still sends Host: evil.example."""
    for url in ("/", "/api/board", "/events", "/static/desk.js"):
        answer = desk.get(url, headers={"Host": host})
        assert answer.status_code == 400, (url, host)
        assert answer.text.startswith("Error: ") and answer.text.count("\n") == 1
        assert "localhost" in answer.text
        assert answer.headers["x-frame-options"] == "DENY"


def test_with_a_token_any_host_is_answered(rumour_on_demo, location):
    with (
        open_ledger(location, create=False) as ledger,
        TestClient(create_app(ledger, Settings(), token="s3cret")) as client,
    ):
        answer = client.get("/api/board?token=s3cret", headers={"Host": "desk.example:8080"})
        assert answer.status_code == 200


def test_the_watcher_catches_up_once_and_counts_a_new_claim(rumour_on_demo, location):
    with open_ledger(location, create=False) as ledger:
        app = create_app(ledger, Settings(), interval=60)
        with TestClient(app, base_url=HERE) as client:
            watcher = app.state.desk.watcher
            assert watcher.check() is False  # nothing new since the first catch-up
            before = client.get("/api/board?as_of=2025-12-31&q=mbappe").json()
            recorded = rumour_on_demo(
                "report", "Kylian Mbappé", "--to", "Real Madrid", "--role", "player",
                "--source", "Marca", "--date", "2024-11-01",
            )  # fmt: skip
            assert recorded.exit_code == 0, recorded.output
            assert watcher.check() is True
            assert watcher.version == 1
            after = client.get("/api/board?as_of=2025-12-31&q=mbappe").json()
    assert before == []
    assert [r["subject"] for r in after] == ["Kylian Mbappé"]


def test_serve_refuses_to_listen_beyond_this_machine_without_a_token(rumour_on_demo):
    result = rumour_on_demo("serve", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "--token" in result.output


def test_serve_without_the_web_extra_names_the_command_that_installs_it(
    rumour_on_demo, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = rumour_on_demo("serve", "--port", "0")
    assert result.exit_code == 1
    assert "pip install 'rumour-ledger[web]'" in result.output


def test_loopback_addresses_are_told_apart_from_others():
    from rumour_ledger.cli.serve import is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "example.org", ""]))
