"""Settings: the new HTTP ones parse, and a bad value stops the start with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.config import ConfigError, Settings


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"PEOPLECOIN_DATA_DIR": str(tmp_path), "PEOPLECOIN_JWT_SECRET": "s" * 32, **env})


def test_cors_and_proxies_are_off_unless_set(tmp_path: Path) -> None:
    found = settings(tmp_path)
    assert (found.cors_origins, found.trusted_proxies) == ((), ())


def test_origins_and_proxies_are_read_as_lists(tmp_path: Path) -> None:
    found = settings(
        tmp_path,
        PEOPLECOIN_CORS_ORIGINS=" https://App.Example.com/, http://localhost:5173 ,",
        PEOPLECOIN_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8,::1",
    )
    assert found.cors_origins == ("https://app.example.com", "http://localhost:5173")
    assert found.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert settings(tmp_path, PEOPLECOIN_CORS_ORIGINS="*").cors_origins == ("*",)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PEOPLECOIN_CORS_ORIGINS", "app.example.com"),
        ("PEOPLECOIN_CORS_ORIGINS", "https://app.example.com/path"),
        ("PEOPLECOIN_CORS_ORIGINS", "ftp://app.example.com"),
        ("PEOPLECOIN_CORS_ORIGINS", "https://app.example.com:http"),
        ("PEOPLECOIN_CORS_ORIGINS", "https://user@app.example.com"),
        ("PEOPLECOIN_TRUSTED_PROXIES", "proxy.internal"),
        ("PEOPLECOIN_TRUSTED_PROXIES", "10.0.0.1/8"),
        ("PEOPLECOIN_TRUSTED_PROXIES", "*"),
        ("PEOPLECOIN_SCRAPE_ALLOW", "http://127.0.0.1"),
        ("PEOPLECOIN_SCRAPE_ALLOW", "127.0.0.1:8000"),
        ("PEOPLECOIN_SCRAPE_ALLOW", "*.example.com"),
        ("PEOPLECOIN_SCRAPE_ALLOW", "10.0.0.0/8"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        settings(tmp_path, **{variable: value})


def test_the_scrape_allow_list_is_empty_unless_set_and_holds_exact_hosts(tmp_path: Path) -> None:
    assert settings(tmp_path).scrape_allow == ()
    found = settings(tmp_path, PEOPLECOIN_SCRAPE_ALLOW="127.0.0.1, Pages.Test., [::1],0:0::1")
    assert found.scrape_allow == ("127.0.0.1", "pages.test", "::1", "::1")
