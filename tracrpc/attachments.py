# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Attachments of any resource, with the web UI's rules: per-resource
ATTACHMENT_* permissions, `[attachment] max_size`, the
`IAttachmentManipulator`s and Trac's filename normalisation.

Shared by the ticket and wiki providers.
"""

import io

from trac.attachment import Attachment, AttachmentModule
from trac.core import TracError
from trac.resource import ResourceNotFound, resource_exists
from trac.util import normalize_filename
from trac.util.text import pretty_size

from tracrpc.api import Binary
from tracrpc.util import refuse_if_invalid


#: the help of the methods that upload an attachment, per realm
PUT_HELP = """Attach a file to a {noun} and return the name it was stored
        under. The name is reduced to a plain file name; with `replace`
        (the default) an attachment of that name is replaced, otherwise
        Trac picks a free name. `[attachment] max_size` and the
        attachment manipulators apply as in the web UI."""


def list_attachments(env, req, parent):
    """The attachments of resource `parent` the user may see."""
    return [attachment for attachment
            in Attachment.select(env, parent.realm, parent.id)
            if 'ATTACHMENT_VIEW' in req.perm(attachment.resource)]


def get_attachment(env, req, parent, filename):
    """The content of attachment `filename` of `parent`, as `Binary`."""
    attachment = Attachment(env, parent.realm, parent.id, filename)
    req.perm(attachment.resource).require('ATTACHMENT_VIEW')
    with attachment.open() as fileobj:
        return Binary(fileobj.read())


def put_attachment(env, req, parent, filename, description, data, replace,
                   author=None):
    """Store `data` as attachment `filename` of `parent`, as the web
    UI's upload form does; with `replace`, an attachment of the same
    name is replaced (needs ATTACHMENT_DELETE), otherwise Trac picks a
    free name. Return the stored file name."""
    filename = _plain_filename(filename)
    attachment = Attachment(env, parent.realm, parent.id)
    req.perm(attachment.resource).require('ATTACHMENT_CREATE')
    _check_parent_exists(env, parent)
    size = len(data.data)
    max_size = AttachmentModule(env).max_size
    if 0 <= max_size < size:
        raise TracError('Maximum attachment size: %s (%d bytes); "%s" has '
                        '%d bytes' % (pretty_size(max_size), max_size,
                                      filename, size))
    if size == 0:
        raise TracError("Can't upload empty file")
    attachment.filename = filename
    attachment.description = description or ''
    attachment.author = author or req.authname
    _validate(env, req, attachment)
    if replace:
        _delete_existing(env, req, attachment, filename)
    with env.db_transaction:  # the change feed's record too
        attachment.insert(filename, _Reader(data.data), size)
    return attachment.filename


def delete_attachment(env, req, parent, filename):
    attachment = Attachment(env, parent.realm, parent.id, filename)
    req.perm(attachment.resource).require('ATTACHMENT_DELETE')
    with env.db_transaction:  # the change feed's record too
        attachment.delete()


def attachment_info(attachment, shield):
    """`[filename, description, size, time, author]` (the author's
    address passed through `shield`, see `util.email_shield`)."""
    return [attachment.filename, attachment.description, attachment.size,
            attachment.date, shield(attachment.author)]


class _Reader(io.RawIOBase):
    """A file over bytes or a bytearray that, unlike `io.BytesIO`, never
    copies it (attachments can be large)."""

    def __init__(self, data):
        super().__init__()
        self._view = memoryview(data)
        self._position = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._view[self._position:self._position + len(buffer)]
        buffer[:len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def _plain_filename(filename):
    filename = normalize_filename(filename or '')
    if filename in ('', '.', '..'):
        raise TracError('Invalid attachment file name')
    return filename


def _check_parent_exists(env, parent):
    if not resource_exists(env, parent):
        raise ResourceNotFound('%s %s does not exist'
                               % (parent.realm.capitalize(), parent.id))


def _validate(env, req, attachment):
    refuse_if_invalid('attachment', (
        problem for manipulator in AttachmentModule(env).manipulators
        for problem in manipulator.validate_attachment(req, attachment)))


def _delete_existing(env, req, attachment, filename):
    try:
        old = Attachment(env, attachment.resource(id=filename))
    except ResourceNotFound:
        return
    req.perm(old.resource).require('ATTACHMENT_DELETE')
    if not attachment.description.strip() and old.description:
        attachment.description = old.description
    with env.db_transaction:  # the change feed's record too
        old.delete()
