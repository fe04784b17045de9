# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The plugin's own tables: made with a new environment, added to an
existing one by `trac-admin ENV upgrade`."""

from trac.core import Component, implements
from trac.db.api import DatabaseManager
from trac.env import IEnvironmentSetupParticipant

__all__ = ['PluginTables']


class PluginTables(Component):
    """Base of a component owning tables: `schema` (Trac `Table`s),
    versioned as `schema_name` in Trac's `system` table."""

    implements(IEnvironmentSetupParticipant)
    abstract = True

    schema_name = None
    schema_version = 1
    schema = []

    # IEnvironmentSetupParticipant

    def environment_created(self):
        self.upgrade_environment()

    def environment_needs_upgrade(self):
        return DatabaseManager(self.env).needs_upgrade(self.schema_version,
                                                       self.schema_name)

    def upgrade_environment(self):
        manager = DatabaseManager(self.env)
        with self.env.db_transaction as db:
            if manager.get_database_version(self.schema_name) == 0:
                manager.create_tables(self.schema)
                self.tables_created(db)
            manager.set_database_version(self.schema_version,
                                         self.schema_name)

    def tables_installed(self):
        """Whether the tables are there (or `trac-admin ENV upgrade` is
        still to be run)."""
        return DatabaseManager(self.env).get_database_version(
            self.schema_name) >= self.schema_version

    def tables_created(self, db):
        """Fill the tables just made (in the same transaction)."""
