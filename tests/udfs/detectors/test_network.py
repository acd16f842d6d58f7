"""IP addresses and URLs: valid and invalid side by side, in free text."""

import pytest

from udfs.detectors.network import IP, WEB_URL


def found(detector, text):
    return [text[s.start : s.end] for s in detector.finditer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 10.0.0.1 today", ["10.0.0.1"]),
        ("server 192.168.1.254.", ["192.168.1.254"]),  # the sentence's full stop is not in it
        ("at 8.8.8.8:53", ["8.8.8.8"]),
        ("255.255.255.255", ["255.255.255.255"]),
        ("version 1.2.3", []),  # three parts: a version
        ("v1.2.3.4", []),  # a version with a prefix
        ("300.1.2.3", []),  # octet over 255
        ("192.168.1.256", []),
        ("01.02.03.04", []),  # leading zeros: not how addresses are written
        ("1.2.3.4.5", []),  # longer dotted number
        ("addr fe80::1 ok", ["fe80::1"]),
        ("2001:db8:85a3::8a2e:370:7334", ["2001:db8:85a3::8a2e:370:7334"]),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", ["2001:0db8:0000:0000:0000:ff00:0042:8329"]),
        ("at 12:30:45", []),  # a time
        ("mac 00:1A:2B:3C:4D:5E", []),  # a MAC address is not an IPv6 address
        ("std::vector", []),
        ("ab::cd", []),  # too short to be more likely an address than code
        ("1:2:3:4:5:6:7:8:9", []),
    ],
)
def test_ip(text, expected):
    assert found(IP, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://portal.example.org/patient/123.", ["https://portal.example.org/patient/123"]),
        ("(http://example.com/a?b=1)", ["http://example.com/a?b=1"]),
        ("visit www.clinic.example.net, then", ["www.clinic.example.net"]),
        ("HTTPS://EXAMPLE.ORG", ["HTTPS://EXAMPLE.ORG"]),
        ("example dot com", []),
        ("www.", []),
        ("www.localhost", []),  # no second label
        ("https://", []),
        ("jo@www.example.com", []),  # an e-mail address, not a URL
        ("file://x/y", []),
    ],
)
def test_url(text, expected):
    assert found(WEB_URL, text) == expected
