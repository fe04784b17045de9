"""Test plugin: a fine-grained permission policy and manipulators that
the RPC methods must honour like the web UI does."""

from trac.attachment import IAttachmentManipulator
from trac.core import Component, implements
from trac.perm import IPermissionPolicy
from trac.ticket.api import ITicketManipulator
from trac.ticket.model import Ticket
from trac.resource import ResourceNotFound
from trac.wiki.api import IWikiPageManipulator


class SecretTicketPolicy(Component):
    """Hides tickets whose keywords contain `secret` from user `user`."""

    implements(IPermissionPolicy)

    def check_permission(self, action, username, resource, perm):
        if username != 'user' or resource is None or \
                resource.realm != 'ticket' or resource.id is None:
            return None
        try:
            ticket = Ticket(self.env, resource.id)
        except (ResourceNotFound, ValueError):
            return None
        if 'secret' in (ticket['keywords'] or ''):
            return False
        return None


class RejectingManipulators(Component):
    """Rejects tickets and pages containing REJECTME and attachments
    named *.exe."""

    implements(IAttachmentManipulator, ITicketManipulator,
               IWikiPageManipulator)

    def prepare_ticket(self, req, ticket, fields, actions):
        pass

    def validate_ticket(self, req, ticket):
        if 'REJECTME' in (ticket['summary'] or ''):
            yield 'summary', 'REJECTME is not welcome here'

    def prepare_attachment(self, req, attachment, fields):
        pass

    def validate_attachment(self, req, attachment):
        if attachment.filename.endswith('.exe'):
            yield 'filename', 'executables are not accepted'

    def prepare_wiki_page(self, req, page, fields):
        pass

    def validate_wiki_page(self, req, page):
        if 'REJECTME' in (page.text or ''):
            yield 'text', 'REJECTME is not welcome in the wiki'
