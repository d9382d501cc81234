"""Connect the owner's QuickBooks company: the OAuth code flow (intuit-oauth), tokens stored encrypted."""

import secrets
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coresync.accounting.connection import connection_connect
from coresync.core.errors import ProviderError
from coresync.integrations.quickbooks import oauth


class Command(BaseCommand):
    help = "Print Intuit's sign-in URL, then take the address the browser was redirected to and store the tokens."

    def add_arguments(self, parser):
        parser.add_argument("--redirect-url", help="The redirect address (skips the prompt; for scripts).")
        parser.add_argument("--state", help="The state sent in the URL (with --redirect-url, when the URL was printed earlier).")

    def handle(self, *args, **options):
        missing = [name for name in ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET", "QUICKBOOKS_REDIRECT_URI") if not getattr(settings, name)]
        if missing:
            raise CommandError(f"Set {', '.join(missing)} first (the app's keys at developer.intuit.com).")
        state = options["state"] or secrets.token_urlsafe(24)
        try:
            if not options["redirect_url"]:
                self.stdout.write("1. Open this address, sign in as the company's admin and choose the company:\n")
                self.stdout.write(oauth.authorization_url(state=state) + "\n")
            redirect = options["redirect_url"] or input("2. Paste the address your browser landed on: ").strip()
            query = parse_qs(urlparse(redirect).query)
            if query.get("error"):
                raise CommandError(f"Intuit said: {query['error'][0]}")
            if query.get("state", [""])[0] != state:
                raise CommandError("The state in that address is not the one we sent: start again.")
            code, realm = query.get("code", [""])[0], query.get("realmId", [""])[0]
            if not code or not realm:
                raise CommandError("That address has no code and realmId: paste the whole address.")
            row = connection_connect(tokens=oauth.token_exchange(code=code, realm_id=realm))
        except ProviderError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Connected to QuickBooks company {row.realm_id}; the refresh token is stored encrypted."))
        if row.realm_id != settings.QUICKBOOKS_REALM_ID:
            self.stdout.write(self.style.WARNING(f"Set QUICKBOOKS_REALM_ID={row.realm_id} so CoreSync uses this company."))
