/*
 * IMPORT FOREIGN SCHEMA (multicorn2 3.x, src/multicorn.c and src/python.c there): import_schema is called on
 * the wrapper **class**, positionally, as import_schema(remote_schema, srv_options, options, restriction_type,
 * restricts):
 *
 * - srv_options: the server's options without `wrapper`, then the current user's (else PUBLIC's) user
 *   mapping options, the mapping winning;
 * - options: the statement's OPTIONS;
 * - restriction_type: 'limit' (LIMIT TO), 'except' (EXCEPT) or None, restricts the table names ([] for None).
 *
 * Each returned TableDefinition's to_statement(local_schema, server_name) is one command PostgreSQL runs.
 */
#include "host.h"

#include "commands/defrem.h"
#include "foreign/foreign.h"

/* IMPORT FOREIGN SCHEMA: wrapper_class.import_schema(...) -> TableDefinitions -> CREATE statements. */
List *
hostImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List		  *server_options = NIL;
	char		  *class_name = NULL;
	const char	  *restriction = NULL;
	PyObject	  *wrapper_class, *srv_options, *import_options, *restricts, *tables, *iterator, *item;
	List		  *commands = NIL;
	ListCell	  *lc;

	foreach(lc, server->options)
	{
		DefElem *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "wrapper") == 0)
			class_name = defGetString(def);
		else
			server_options = lappend(server_options, def);
	}
	server_options = list_concat(server_options, host_user_mapping_options(serverOid));
	if (class_name == NULL)
		ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
						errmsg("The wrapper parameter is mandatory, specify a valid class name")));
	switch (stmt->list_type)
	{
		case FDW_IMPORT_SCHEMA_LIMIT_TO:
			restriction = "limit";
			break;
		case FDW_IMPORT_SCHEMA_EXCEPT:
			restriction = "except";
			break;
		case FDW_IMPORT_SCHEMA_ALL:
			break;
	}

	wrapper_class = host_get_class(class_name);
	srv_options = host_options_to_python(server_options);
	import_options = host_options_to_python(stmt->options);
	restricts = PyList_New(0);
	foreach(lc, stmt->table_list)
	{
		RangeVar *rv = (RangeVar *) lfirst(lc);
		PyObject *name = host_cstring_to_python(rv->relname);

		if (name == NULL || PyList_Append(restricts, name) < 0)
			PyErr_Print();
		Py_XDECREF(name);
	}
	tables = PyObject_CallMethod(wrapper_class, "import_schema", "(sOOzO)", stmt->remote_schema, srv_options,
								 import_options, restriction, restricts);
	Py_DECREF(wrapper_class);
	Py_DECREF(srv_options);
	Py_DECREF(import_options);
	Py_DECREF(restricts);
	if (tables == NULL)
		host_raise_python_error();
	iterator = PyObject_GetIter(tables);
	Py_DECREF(tables);
	if (iterator == NULL)
		host_raise_python_error();
	while ((item = PyIter_Next(iterator)) != NULL)
	{
		PyObject *statement = PyObject_CallMethod(item, "to_statement", "(ss)", stmt->local_schema, server->servername);
		const char *text;

		Py_DECREF(item);
		text = statement != NULL ? PyUnicode_AsUTF8(statement) : NULL;
		if (text == NULL)
		{
			Py_XDECREF(statement);
			Py_DECREF(iterator);
			host_raise_python_error();
		}
		commands = lappend(commands, pg_any_to_server(pstrdup(text), strlen(text), PG_UTF8));
		Py_DECREF(statement);
	}
	Py_DECREF(iterator);
	host_check_python();
	return commands;
}
