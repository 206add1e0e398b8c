"""Segments and signatures, cross-checked against the official twilio package."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from emulator import segments, signing
from emulator.outgoing import tamper_url

TOKEN = "12345678901234567890123456789012"


@pytest.mark.parametrize(
    ("body", "encoding", "count"),
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count twice: 160 septets
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # é is in the basic GSM alphabet
        ("ê" * 70, "UCS-2", 1),  # ê is not: UCS-2
        ("ê" * 71, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # surrogate pairs take two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("x" * 1600, "GSM-7", 11),
        ("a" * 152 + "€" * 77, "GSM-7", 3),  # an escape pair never straddles two segments
        ("a" * 151 + "€" * 77, "GSM-7", 2),
        ("ê" * 66 + "😀" * 34, "UCS-2", 3),  # nor does a surrogate pair
        ("ê" * 65 + "😀" * 34, "UCS-2", 2),
    ],
)
def test_segments(body: str, encoding: str, count: int) -> None:
    assert segments.encoding(body) == encoding
    assert segments.count(body) == count


def test_signature_matches_twilio_published_vectors() -> None:
    # Twilio's published request-validation example (auth token "12345"), and the
    # official SDKs' repeated-key vector.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert signing.sign("12345", url, params.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert signing.sign("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
forms = st.lists(st.tuples(keys, values), max_size=12)
urls = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["gw.example.test", "127.0.0.1", "sms.example.com"]),
    st.sampled_from(["", ":8443", ":3000"]),
    st.sampled_from(["/webhooks/sms", "/webhooks/sms/support", "/"]),
    st.sampled_from(["", "?a=1", "?token=x&b=%20y"]),
)


@settings(max_examples=300, deadline=None)
@given(url=urls, form=forms)
def test_official_validator_accepts_every_emulator_signature(url: str, form: list[tuple[str, str]]) -> None:
    signature = signing.sign(TOKEN, url, form)
    assert RequestValidator(TOKEN).validate(url, MultiDict(form), signature)


# Port variants are left out: the official validator deliberately tries the URL
# with and without its port, so it accepts them (a gateway comparing exactly does not).
STRICT_VARIANTS = ["other_scheme", "other_host", "query_dropped"]


@settings(max_examples=200, deadline=None)
@given(url=urls, form=forms, variant=st.sampled_from(STRICT_VARIANTS))
def test_official_validator_rejects_tampered_urls(url: str, form: list[tuple[str, str]], variant: str) -> None:
    tampered = tamper_url(url, variant)
    if tampered == url:  # query_dropped on a URL without a query changes nothing
        return
    assert not RequestValidator(TOKEN).validate(url, MultiDict(form), signing.sign(TOKEN, tampered, form))


@settings(max_examples=200, deadline=None)
@given(url=urls, form=forms.filter(bool), extra=values)
def test_official_validator_rejects_wrong_token_and_changed_params(
    url: str, form: list[tuple[str, str]], extra: str
) -> None:
    validator = RequestValidator(TOKEN)
    assert not validator.validate(url, MultiDict(form), signing.sign("0" * 32, url, form))
    changed = [(k, v + "!" + extra) if i == 0 else (k, v) for i, (k, v) in enumerate(form)]
    if set(changed) != set(form):
        assert not validator.validate(url, MultiDict(changed), signing.sign(TOKEN, url, form))


@pytest.mark.parametrize(
    ("variant", "url", "expected"),
    [
        ("port_added", "https://gw.example.test/webhooks/sms", "https://gw.example.test:443/webhooks/sms"),
        ("port_stripped", "https://gw.example.test:8443/sms", "https://gw.example.test/sms"),
        ("port_stripped", "https://gw.example.test/sms", "https://gw.example.test:443/sms"),
        ("port_added", "https://gw.example.test:8443/sms", "https://gw.example.test:443/sms"),
        ("port_added", "http://gw.example.test:80/sms", "http://gw.example.test/sms"),
        ("other_scheme", "https://gw.example.test/sms", "http://gw.example.test/sms"),
        ("other_host", "https://gw.example.test:8443/sms", "https://internal-proxy.invalid:8443/sms"),
        ("query_dropped", "https://gw.example.test/sms?x=1", "https://gw.example.test/sms"),
    ],
)
def test_tamper_url(variant: str, url: str, expected: str) -> None:
    assert tamper_url(url, variant) == expected


def test_fragment_is_not_signed() -> None:
    assert signing.strip_fragment("https://h.test/sms?x=1#rp=ct&rt=5000") == "https://h.test/sms?x=1"
