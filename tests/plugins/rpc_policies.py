"""Test plugin: a fine-grained permission policy and manipulators that
the RPC methods must honour like the web UI does."""

import os

from trac.attachment import IAttachmentManipulator
from trac.core import Component, implements
from trac.perm import IPermissionPolicy, PermissionSystem
from trac.ticket.api import ITicketChangeListener, ITicketManipulator
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


class PrivateTicketPolicy(Component):
    """The "private tickets" pattern: a ticket with the keyword `private`
    is seen only by its reporter and by TRAC_ADMIN holders. Used where
    a test environment lists it in `[trac] permission_policies`."""

    implements(IPermissionPolicy)

    def check_permission(self, action, username, resource, perm):
        if resource is None or resource.realm != 'ticket' or \
                resource.id is None or not action.startswith('TICKET_'):
            return None
        try:
            ticket = Ticket(self.env, resource.id)
        except (ResourceNotFound, ValueError):
            return None
        if 'private' not in (ticket['keywords'] or '').split() or \
                username == ticket['reporter'] or \
                'TRAC_ADMIN' in PermissionSystem(self.env) \
                .get_user_permissions(username):
            return None
        return False


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


class FrozenCommentPolicy(Component):
    """A policy on `comment` resources (as AuthzPolicy rules can be):
    nobody edits the comments of a ticket with the keyword `frozen`."""

    implements(IPermissionPolicy)

    def check_permission(self, action, username, resource, perm):
        if action != 'TICKET_EDIT_COMMENT' or resource is None or \
                resource.realm != 'comment' or resource.parent is None:
            return None
        try:
            ticket = Ticket(self.env, resource.parent.id)
        except (ResourceNotFound, ValueError):
            return None
        if 'frozen' in (ticket['keywords'] or '').split():
            return False
        return None


class ChangeEventRecorder(Component):
    """Writes the comment edits and change deletions Trac reports to its
    change listeners into `files/change-events.log`, one per line."""

    implements(ITicketChangeListener)

    def ticket_created(self, ticket):
        pass

    def ticket_changed(self, ticket, comment, author, old_values):
        pass

    def ticket_deleted(self, ticket):
        pass

    def ticket_comment_modified(self, ticket, cdate, author, comment,
                                old_comment):
        self._record('comment_modified', ticket.id, author, comment)

    def ticket_change_deleted(self, ticket, cdate, changes):
        self._record('change_deleted', ticket.id, ','.join(sorted(changes)))

    def _record(self, *what):
        directory = os.path.join(self.env.path, 'files')
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, 'change-events.log')
        with open(path, 'a', encoding='utf-8') as log:
            log.write(' '.join(str(part) for part in what) + '\n')
