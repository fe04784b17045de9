"""A test plugin written the way plugins for TracXMLRPC 1.2.0.dev0 (the
trunk) are: it imports the trunk's helpers, declares `str` for
parameters that receive date-times, exposes names TracXMLRPC exposes
too (so its methods take over), and builds namespaces for classes of
its own with the trunk's factories."""

from trac.core import Component, implements
from trac.ticket import model
from trac.ticket.model import Ticket

from tracrpc.api import IXMLRPCHandler
from tracrpc.ticket import ticketEnumFactory, ticketModelFactory
from tracrpc.util import PY3, to_timestamp, unicode, web_context
from tracrpc.xml_rpc import to_xmlrpc_datetime


class Estimate(model.AbstractEnum):
    """The plugin's own ticket enum: effort estimates."""
    type = 'estimate'
    ticket_col = 'estimate'


class Area(model.Component):
    """The plugin's own model class (stored as components)."""


EstimateRPC = ticketEnumFactory(Estimate)
AreaRPC = ticketModelFactory(Area, {'name': '', 'owner': '',
                                    'description': ''})


class TrunkStyleRPC(Component):
    """Events, the trunk way."""

    implements(IXMLRPCHandler)

    def xmlrpc_namespace(self):
        return 'timeline'

    def xmlrpc_methods(self):
        # declared `str`, called with date-times, as published plugins do
        yield ('TIMELINE_VIEW', ((list, str, str), (list, str, str, list)),
               self.getEvents)

    def getEvents(self, req, start, stop, filters=None):
        """Return `[[kind, start, stop (a timestamp), realm, PY3,
        filters]]`: what the plugin was given, through the trunk's
        helpers."""
        context = web_context(req)
        return [['trunk-style', to_xmlrpc_datetime(start),
                 to_timestamp(stop), unicode(context.resource.realm), PY3,
                 filters or []]]


class TrunkStyleCommentRPC(Component):
    """`ticket.getCommentHistory` with the shape of the tracrpc_comment
    plugin: an empty list for a comment that does not exist."""

    implements(IXMLRPCHandler)

    def xmlrpc_namespace(self):
        return 'ticket'

    def xmlrpc_methods(self):
        yield (None, ((list, int, int),), self.getCommentHistory)

    def getCommentHistory(self, req, id, cnum):
        """The edit history of comment `cnum` of ticket `id`, or `[]`."""
        ticket = Ticket(self.env, id)
        req.perm(ticket.resource).require('TICKET_VIEW')
        return [list(entry) for entry
                in ticket.get_comment_history(cnum) or []]
