"""A few calls through a typed client generated from our OpenAPI document.

scripts/api-contract generates the package `client` with openapi-python-client and runs
this with: BASE_URL VENDOR_TOKEN PARTNER_TOKEN. The generated code parses every answer
into its documented model (an enum value or a field the document does not describe makes
it fail), so these calls prove a generated client can read what the API sends.
"""

import sys
import uuid

from client import AuthenticatedClient, Client
from client.api.accounts import create as create_account
from client.api.accounts import get as get_account
from client.api.accounts import list_ as list_accounts
from client.api.partners import list_ as list_partners
from client.models.account import Account
from client.models.account_input import AccountInput
from client.models.account_status import AccountStatus
from client.models.page_account import PageAccount
from client.models.page_partner import PagePartner
from client.models.problem import Problem


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"generated client: {what}")


def main() -> None:
    base, vendor_token, partner_token = sys.argv[1:4]
    vendor = AuthenticatedClient(base_url=base, token=vendor_token, raise_on_unexpected_status=True)
    partner = AuthenticatedClient(base_url=base, token=partner_token, raise_on_unexpected_status=True)

    # Lists come back as typed pages.
    partners = list_partners.sync(client=vendor, limit="5", sort="name")
    check(isinstance(partners, PagePartner), f"partners page: {partners!r}")
    check(len(partners.items) == 5 and isinstance(partners.next_cursor, str), "five partners and a cursor")
    names = [p.name for p in partners.items]
    check(names == sorted(names), f"sorted by name: {names}")

    # A create with an idempotency key, read back by id; enums parse into their types.
    domain = f"client-{uuid.uuid4().hex[:10]}.example"
    body = AccountInput(name="Generated Client GmbH", web_domain=domain, country="DE")
    created = create_account.sync(client=vendor, body=body, idempotency_key=str(uuid.uuid4()))
    check(isinstance(created, Account), f"created account: {created!r}")
    check(created.id.startswith("acc_") and created.status == AccountStatus.PROSPECT, repr(created))
    again = get_account.sync(id=created.id, client=vendor)
    check(isinstance(again, Account) and again.web_domain == domain, repr(again))

    # A refusal is a typed problem document naming the field and the rule.
    bad = create_account.sync(client=vendor, body=AccountInput(name="X", country="XX"))
    check(isinstance(bad, Problem) and bad.status == 422, repr(bad))
    check(any(e.field == "country" for e in bad.errors), repr(bad.errors))

    # A partner's view: its own company only, and no accounts.
    own = list_partners.sync(client=partner)
    check(isinstance(own, PagePartner) and len(own.items) == 1, repr(own))
    accounts = list_accounts.sync(client=partner)
    check(isinstance(accounts, PageAccount) and accounts.items == [], repr(accounts))

    # Without a token: 401 as a problem document.
    anonymous = list_partners.sync(client=Client(base_url=base, raise_on_unexpected_status=True))
    check(isinstance(anonymous, Problem) and anonymous.status == 401, repr(anonymous))
    print("generated client: 9 checks passed")


if __name__ == "__main__":
    main()
