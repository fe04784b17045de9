# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `timeline` namespace: the events of `/timeline`, through Trac's
own event providers, so that each user sees exactly what the timeline
page shows them."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from trac.timeline.web_ui import TimelineModule
from trac.util.html import plaintext
from trac.web.chrome import web_context

from tracrpc.api import AbstractRPCHandler, InvalidParams, expose_rpc
from tracrpc.util import email_shield

__all__ = ['TimelineRPC']


class TimelineRPC(AbstractRPCHandler):
    """The timeline: ticket, wiki, milestone, changeset and attachment
    events, and those of other plugins, as `/timeline` shows them to
    you. A request spans at most `[timeline] max_daysback` days."""

    def xmlrpc_namespace(self):
        return 'timeline'

    @expose_rpc('TIMELINE_VIEW', list, readonly=True, result='Filter[]')
    def getEventFilters(self, req):
        """Return the kinds of events you may see, as
        `[[name, label], ...]` (the checkboxes of `/timeline`)."""
        return [[name, plaintext(label, keeplinebreaks=False)]
                for name, label, default in self._filters(req)]

    @expose_rpc('TIMELINE_VIEW', list, datetime, datetime, readonly=True,
                result='TimelineEvent[]')
    @expose_rpc('TIMELINE_VIEW', list, datetime, datetime, list)
    def getEvents(self, req, start, stop, filters=None):
        """Return the events between `start` and `stop` (UTC), newest
        first, as structs
        `{kind, date, author, title, description, html, url, realm, id}`:
        `title` and `description` as plain text,
        `html` the description as the timeline renders it (absolute
        links), `realm`/`id` the resource the event's URL names. `filters`
        (see `getEventFilters`) default to those `/timeline` checks by
        default."""
        module = TimelineModule(self.env)
        if stop < start:
            raise InvalidParams('the span must run forward (start before '
                                'stop)')
        # a negative `max_daysback` is no limit, as on /timeline
        if module.max_daysback >= 0 and \
                stop - start > timedelta(days=module.max_daysback):
            raise InvalidParams('the span must be at most %d days '
                                '([timeline] max_daysback)'
                                % module.max_daysback)
        filters = self._chosen(req, filters)
        context = web_context(req, absurls=True)
        context.set_hints(wiki_flavor='html', shorten_lines=False)
        events = []
        shield = email_shield(self.env, req)
        for provider in module.event_providers:
            for event in provider.get_timeline_events(req, start, stop,
                                                      filters) or []:
                events.append(self._event(context, provider, event, shield))
        return sorted(events, key=lambda event: event['date'], reverse=True)

    # Internal methods

    def _filters(self, req):
        """`(name, label, checked by default)` of every filter."""
        for provider in TimelineModule(self.env).event_providers:
            for item in provider.get_timeline_filters(req) or []:
                yield item[0], item[1], len(item) == 2 or bool(item[2])

    def _chosen(self, req, filters):
        available = {name: default for name, label, default
                     in self._filters(req)}
        if filters is None:
            return [name for name, default in available.items() if default]
        unknown = [name for name in filters if name not in available]
        if unknown:
            raise InvalidParams('unknown filter(s) %s; valid: %s'
                                % (', '.join(map(str, unknown)),
                                   ', '.join(sorted(available))))
        return list(filters)

    def _event(self, context, provider, event, shield):
        kind, date, author = event[:3]
        if len(event) == 5:  # a provider of its own
            provider = event[4]

        def render(field):
            return provider.render_timeline_event(context, field, event)
        url = str(render('url') or '')
        title = render('summary') or render('title')
        description = render('description')
        realm, id = _resource_of(url, context.href.base)
        return {'kind': kind, 'date': date, 'author': shield(author or ''),
                'title': plaintext(str(title or ''), keeplinebreaks=False),
                'description': plaintext(str(description or '')),
                'html': str(description or ''), 'url': url,
                'realm': realm, 'id': id}


def _resource_of(url, base):
    """`(realm, id)` from an event's URL (`/ticket/5` -> `ticket`, `5`)."""
    path = urlsplit(url).path
    base_path = urlsplit(base).path.rstrip('/')
    if base_path and path.startswith(base_path):
        path = path[len(base_path):]
    realm, _, id = path.strip('/').partition('/')
    return realm, id
