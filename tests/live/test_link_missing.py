"""Link chosen where the [link] extra is not installed: one line saying how to install it, exit code 2."""

from __future__ import annotations

import pytest

from bridge.cli.main import main
from bridge.live import link_session


@pytest.fixture
def no_link(monkeypatch):
    monkeypatch.setattr(link_session, "link_available", lambda: False)


def test_beatgen_run_with_clock_link_says_how_to_install_it_and_exits_2(no_link, capsys):
    assert main(["run", "--clock", "link", "--backend", "jack"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'beat-generation[link]'" in err[0], err


def test_a_preset_with_link_is_refused_the_same_way(no_link, tmp_path, capsys):
    preset = tmp_path / "linked.toml"
    preset.write_text('[clock]\nsource = "link"\n')
    assert main(["run", "--preset", str(preset), "--backend", "jack"]) == 2
    assert "pip install 'beat-generation[link]'" in capsys.readouterr().err


def test_the_auto_source_leaves_link_alone_without_the_extra(no_link, monkeypatch):
    from bridge.live.runner import auto_link_wanted

    monkeypatch.setenv("BEATGEN_LINK_AUTO", "on")
    assert auto_link_wanted() is False
