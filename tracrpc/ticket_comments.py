# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Comment-level ticket operations, as the ticket page offers them: edit
a comment (keeping its history), delete a change, read a comment's edit
history, reply in a thread. The component is
`tracrpc.ticket_comments.TicketCommentRPC`, a second provider of the
`ticket` namespace; the names, argument order and results are those of
the `tracrpc_comment` plugin, whose methods override these when it is
enabled."""

from trac.core import TracError
from trac.ticket import model
from trac.util.datefmt import datetime_now, utc
from trac.web.chrome import Chrome

from tracrpc.api import AbstractRPCHandler, InvalidParams, checked_per, \
                        expose_rpc
from tracrpc.ticket import TicketRPC, comment_change, locked_ticket

__all__ = ['TicketCommentRPC']


class TicketCommentRPC(AbstractRPCHandler):
    """Ticket comments: edit (the old text stays in the comment's
    history), delete, history and threaded replies.

    Each method that changes the ticket takes an optional last argument
    `_ts`, the change token from `ticket.get`: when given and the ticket
    changed since, nothing is done and the answer is the conflict fault
    of `ticket.update`."""

    def xmlrpc_namespace(self):
        return 'ticket'

    @expose_rpc(None, bool, int, int, str, readonly=False, conflicts=True)
    @expose_rpc(None, bool, int, int, str, str)
    @checked_per('ticket', 'TICKET_EDIT_COMMENT', 'TICKET_APPEND')
    def editComment(self, req, id, cnum, comment, _ts=None):
        """Replace the text of comment `cnum` of ticket `id` with
        `comment`; the old text stays in the comment's history
        (`ticket.getCommentHistory`), the edit is recorded as yours.
        Needs TICKET_EDIT_COMMENT on the comment, which Trac also grants
        the comment's author holding TICKET_APPEND. Returns true."""
        ticket, change = self._comment(req, id, cnum)
        req.perm(ticket.resource.child('comment', cnum)) \
            .require('TICKET_EDIT_COMMENT')
        if not comment.strip():
            raise InvalidParams('the new text of comment %s is empty; '
                                'ticket.deleteComment deletes a comment'
                                % cnum)
        TicketRPC(self.env).validate_change(req, ticket, comment)
        if comment == change['fields'].get('comment', {}).get('new'):
            return True  # as in Trac: an unchanged text is no edit
        with locked_ticket(self.env, ticket.id, _ts):
            ticket.modify_comment(change['date'], req.authname, comment,
                                  datetime_now(utc))
        return True

    @expose_rpc(None, bool, int, int, readonly=False, conflicts=True)
    @expose_rpc(None, bool, int, int, bool)
    @expose_rpc(None, bool, int, int, bool, str)
    @checked_per('ticket', 'TICKET_ADMIN')
    def deleteComment(self, req, id, cnum, force=False, _ts=None):
        """Delete comment `cnum` of ticket `id` (TICKET_ADMIN), as Trac's
        ticket deleter does: the whole change the comment came with goes,
        and the fields it changed get their earlier values back. Unless
        `force` is true, a change that set fields, or the ticket's only
        change, is refused with the fields named, and nothing is
        deleted. Returns true."""
        ticket, change = self._comment(req, id, cnum)
        req.perm(ticket.resource).require('TICKET_ADMIN')
        if not force:
            self._refuse_unforced_delete(ticket, cnum, change)
        with locked_ticket(self.env, ticket.id, _ts):
            ticket.delete_change(cdate=change['date'], when=datetime_now(utc))
        return True

    @expose_rpc(None, list, int, int, readonly=True,
                result='CommentRevision[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def getCommentHistory(self, req, id, cnum):
        """Return the versions of comment `cnum` of ticket `id`, oldest
        first, as `[[revision, date, author, comment], ...]`: revision 0
        is the comment as posted, each edit adds one (`date` and `author`
        of the edit). A comment never edited has one entry; one that
        does not exist is a not-found fault."""
        ticket, change = self._comment(req, id, cnum)
        req.perm(ticket.resource.child('comment', cnum)) \
            .require('TICKET_VIEW')
        return [[revision, date, author, text] for revision, date, author,
                text in ticket.get_comment_history(cdate=change['date'])]

    @expose_rpc(None, int, int, int, str, readonly=False, conflicts=True)
    @expose_rpc(None, int, int, int, str, bool)
    @expose_rpc(None, int, int, int, str, bool, str)
    @checked_per('ticket', 'TICKET_APPEND')
    def replyToComment(self, req, id, cnum, comment, quote=False, _ts=None):
        """Post `comment` on ticket `id` as a reply to comment `cnum`,
        threaded as the web UI's Reply button does; with `quote`, the
        parent's text comes first, quoted as that button quotes it
        (`Replying to [comment:N author]:` and `> ` lines). Needs
        TICKET_APPEND. Returns the new comment's number. Ticket
        manipulators, notifications and change listeners apply as for
        `ticket.update`, which takes the same reply as
        `attributes['replyto']`."""
        ticket, change = self._comment(req, id, cnum)
        if not comment.strip():
            raise InvalidParams('the reply is empty')
        if quote:
            comment = self._quoted(req, cnum, change) + '\n' + comment
        attributes = {'replyto': cnum}
        if _ts is not None:
            attributes['_ts'] = _ts
        answer = TicketRPC(self.env).update(req, ticket.id, comment,
                                            attributes)
        return model.Ticket(self.env, ticket.id) \
            .get_comment_number(answer[2])

    # Internal methods

    def _comment(self, req, id, cnum):
        """Ticket `id` (once you may view it) and the change that
        carries its comment `cnum`."""
        ticket = TicketRPC(self.env).viewable_ticket(req, id)
        return ticket, comment_change(ticket, cnum)

    def _refuse_unforced_delete(self, ticket, cnum, change):
        reverted = sorted(field for field in change['fields']
                          if field != 'comment' and not field.startswith('_'))
        if reverted:
            raise TracError('Comment %s of ticket #%s came with changes of '
                            '%s; deleting it gives them their earlier '
                            'values back. Nothing was deleted: pass '
                            'force=True to delete it anyway.'
                            % (cnum, ticket.id, ', '.join(reverted)))
        if self._change_count(ticket) == 1:
            raise TracError('Comment %s is the only change of ticket #%s. '
                            'Nothing was deleted: pass force=True to delete '
                            'it anyway.' % (cnum, ticket.id))

    def _change_count(self, ticket):
        for count, in self.env.db_query("""
                SELECT COUNT(DISTINCT time) FROM ticket_change
                WHERE ticket=%s""", (ticket.id,)):
            return count

    def _quoted(self, req, cnum, change):
        """The parent comment as the Reply button quotes it."""
        author = Chrome(self.env).format_author(req, change.get('author'),
                                                show_email=False)
        text = change['fields'].get('comment', {}).get('new') or ''
        return '\n'.join(['Replying to [comment:%s %s]:' % (cnum, author)] +
                         ['> %s' % line for line in text.splitlines()] +
                         [''])
