import pytest

from cibg_ds.config import Settings, get_settings
from cibg_ds.errors import ParameterError


def test_defaults_file_and_environment_in_that_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert get_settings(env={}) == Settings()
    file = tmp_path / "cibg.toml"
    file.write_text('k_anonymity = 7\ntimezone = "UTC"\n')
    from_file = get_settings(file, env={})
    assert (from_file.k_anonymity, from_file.timezone) == (7, "UTC")
    both = get_settings(file, env={"CIBG_DS_K_ANONYMITY": "9"})
    assert (both.k_anonymity, both.timezone) == (9, "UTC")


def test_bad_values_and_unknown_keys_are_named(tmp_path):
    with pytest.raises(ParameterError, match=r"k_anonymity.*CIBG_DS_K_ANONYMITY"):
        get_settings(env={"CIBG_DS_K_ANONYMITY": "five"})
    file = tmp_path / "cibg.toml"
    file.write_text("k_anonimity = 3\n")
    with pytest.raises(ParameterError, match=r"k_anonimity"):
        get_settings(file, env={})
    with pytest.raises(ParameterError, match=r"does not exist"):
        get_settings(env={"CIBG_DS_CONFIG": str(tmp_path / "nope.toml")})
