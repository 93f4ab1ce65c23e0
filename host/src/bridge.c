/*
 * The Python bridge: starts the embedded interpreter, provides the C module multicorn._utils
 * (_log_to_postgres, check_interrupts), imports wrapper classes and turns Python exceptions into
 * PostgreSQL errors the way multicorn2 3.x reports them.
 *
 * Rule kept everywhere: a PostgreSQL error never longjmps through Python frames. Calls from Python into
 * PostgreSQL (logging, interrupts) catch the error, park it, and raise a Python exception instead; when
 * that exception reaches the host, the parked PostgreSQL error is re-thrown unchanged (same SQLSTATE).
 */
#include "host.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/memutils.h"

static bool		 python_ready = false;
static PyObject *multicorn_module = NULL;	/* the imported package `multicorn` */
static PyObject *format_exception = NULL;	/* traceback.format_exception */
static PyObject *postgres_interrupt = NULL; /* multicorn._utils.PostgresInterrupt */

/* A PostgreSQL error caught while Python was running, re-thrown once the Python stack has unwound. */
static MemoryContext parked_error_context = NULL;
static ErrorData	*parked_error = NULL;

static void
park_current_error(void)
{
	ErrorData *edata;

	MemoryContextReset(parked_error_context);
	MemoryContextSwitchTo(parked_error_context);
	edata = CopyErrorData();
	FlushErrorState();
	parked_error = edata;
}

void
host_forget_pending_error(void)
{
	parked_error = NULL;
	if (parked_error_context != NULL)
		MemoryContextReset(parked_error_context);
}

/* Raise PostgresInterrupt in Python for the error just parked. */
static PyObject *
raise_parked_error(void)
{
	PyErr_SetString(postgres_interrupt,
					parked_error != NULL && parked_error->message != NULL ? parked_error->message : "PostgreSQL error");
	return NULL;
}

static const char *
message_from_python(PyObject *object, PyObject **keep)
{
	const char *text;

	*keep = NULL;
	if (PyBytes_Check(object))
		return PyBytes_AsString(object);
	if (PyUnicode_Check(object))
	{
		Py_INCREF(object);
		*keep = object;
	}
	else
		*keep = PyObject_Str(object);
	if (*keep == NULL)
		return NULL;
	text = PyUnicode_AsUTF8(*keep);
	return text;
}

/* multicorn._utils._log_to_postgres(message, level=1, hint=None, detail=None) */
static PyObject *
utils_log_to_postgres(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static char	 *keywords[] = {"message", "level", "hint", "detail", NULL};
	PyObject	 *p_message;
	PyObject	 *p_hint = Py_None;
	PyObject	 *p_detail = Py_None;
	PyObject	 *keep_message = NULL, *keep_hint = NULL, *keep_detail = NULL;
	int			  level = 1;
	int			  elevel;
	int			  sqlstate;
	const char	 *message;
	const char	 *hint = NULL;
	const char	 *detail = NULL;
	char		 *message_server;
	char		 *hint_server = NULL;
	char		 *detail_server = NULL;
	MemoryContext oldcontext = CurrentMemoryContext;
	bool		  failed = false;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|iOO", keywords, &p_message, &level, &p_hint, &p_detail))
		return NULL;
	message = message_from_python(p_message, &keep_message);
	if (message == NULL)
		return NULL;
	if (p_hint != Py_None && (hint = message_from_python(p_hint, &keep_hint)) == NULL)
		goto python_error;
	if (p_detail != Py_None && (detail = message_from_python(p_detail, &keep_detail)) == NULL)
		goto python_error;

	switch (level)
	{
		case 0:
			elevel = DEBUG1;
			break;
		case 1:
			elevel = NOTICE;
			break;
		case 2:
			elevel = WARNING;
			break;
		case 3:
			elevel = ERROR;
			break;
		case 4:
			elevel = FATAL;
			break;
		default:
			elevel = INFO;
			break;
	}
	if (elevel >= ERROR)
		sqlstate = ERRCODE_INTERNAL_ERROR;
	else if (elevel == WARNING)
		sqlstate = ERRCODE_WARNING;
	else
		sqlstate = ERRCODE_SUCCESSFUL_COMPLETION;

	PG_TRY();
	{
		message_server = pg_any_to_server(message, strlen(message), PG_UTF8);
		if (hint != NULL)
			hint_server = pg_any_to_server(hint, strlen(hint), PG_UTF8);
		if (detail != NULL)
			detail_server = pg_any_to_server(detail, strlen(detail), PG_UTF8);
		ereport(elevel,
				(errcode(sqlstate), errmsg("%s", message_server), hint_server != NULL ? errhint("%s", hint_server) : 0,
				 detail_server != NULL ? errdetail("%s", detail_server) : 0));
	}
	PG_CATCH();
	{
		park_current_error();
		failed = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcontext);
	Py_XDECREF(keep_message);
	Py_XDECREF(keep_hint);
	Py_XDECREF(keep_detail);
	if (failed)
		return raise_parked_error();
	Py_RETURN_NONE;

python_error:
	Py_XDECREF(keep_message);
	Py_XDECREF(keep_hint);
	Py_XDECREF(keep_detail);
	return NULL;
}

/* multicorn._utils.check_interrupts(): lets a long-running wrapper be cancelled. */
static PyObject *
utils_check_interrupts(PyObject *self, PyObject *args, PyObject *kwargs)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	bool		  failed = false;

	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		park_current_error();
		failed = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcontext);
	if (failed)
		return raise_parked_error();
	Py_RETURN_NONE;
}

static PyMethodDef utils_methods[] = {
	{"_log_to_postgres", (PyCFunction) (void (*)(void)) utils_log_to_postgres, METH_VARARGS | METH_KEYWORDS,
	 "Send a message to PostgreSQL's log and client at the given multicorn level code."},
	{"check_interrupts", (PyCFunction) (void (*)(void)) utils_check_interrupts, METH_VARARGS | METH_KEYWORDS,
	 "Let PostgreSQL process a pending cancel or termination request."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef utils_module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "multicorn._utils",
	.m_doc = "PostgreSQL services for wrappers (pymcache_fdw host).",
	.m_size = -1,
	.m_methods = utils_methods,
};

static void
fail_init(const char *what)
{
	if (PyErr_Occurred())
		PyErr_Print();
	ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("multicorn host: could not %s", what),
					errhint("The embedded Python is %s; check that it is installed and that PYTHONPATH is readable "
							"by the postgres user.",
							PYMC_PYTHON_HOME)));
}

void
host_python_init(void)
{
	PyConfig  config;
	PyStatus  status;
	PyObject *utils_module;
	PyObject *sys_modules;
	PyObject *sys_path;
	PyObject *host_dir;
	PyObject *traceback;
	char	  share_path[MAXPGPATH];
	char	  package_dir[MAXPGPATH];

	if (python_ready)
		return;

	if (parked_error_context == NULL)
		parked_error_context = AllocSetContextCreate(TopMemoryContext, "multicorn parked error", ALLOCSET_SMALL_SIZES);

	if (!Py_IsInitialized())
	{
		PyConfig_InitPythonConfig(&config);
		/* PostgreSQL owns the signals; Python must not take SIGINT. */
		config.install_signal_handlers = 0;
		config.parse_argv = 0;
		/* The interpreter we link against (Debian's), whatever python3 comes first on PATH. */
		status = PyConfig_SetBytesString(&config, &config.home, PYMC_PYTHON_HOME);
		if (!PyStatus_Exception(status))
			status = PyConfig_SetBytesString(&config, &config.program_name, PYMC_PYTHON_EXECUTABLE);
		if (!PyStatus_Exception(status))
			status = Py_InitializeFromConfig(&config);
		PyConfig_Clear(&config);
		if (PyStatus_Exception(status))
			ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
							errmsg("multicorn host: could not start the embedded Python: %s",
								   status.err_msg ? status.err_msg : "unknown error")));
	}

	/* multicorn._utils is ours, registered before the package is imported. */
	utils_module = PyModule_Create(&utils_module_def);
	if (utils_module == NULL)
		fail_init("create multicorn._utils");
	postgres_interrupt = PyErr_NewExceptionWithDoc("multicorn._utils.PostgresInterrupt",
												   "A PostgreSQL error (cancel, termination, ERROR) raised while "
												   "Python was running; it derives from BaseException so that "
												   "`except Exception` does not swallow it.",
												   PyExc_BaseException, NULL);
	if (postgres_interrupt == NULL || PyModule_AddObjectRef(utils_module, "PostgresInterrupt", postgres_interrupt) < 0)
		fail_init("create multicorn._utils.PostgresInterrupt");
	sys_modules = PyImport_GetModuleDict();
	if (PyDict_SetItemString(sys_modules, "multicorn._utils", utils_module) < 0)
		fail_init("register multicorn._utils");
	Py_DECREF(utils_module);

	/* The host's Python package is installed next to the extension's SQL files. */
	get_share_path(my_exec_path, share_path);
	snprintf(package_dir, sizeof(package_dir), "%s/multicorn_host", share_path);
	sys_path = PySys_GetObject("path"); /* borrowed */
	host_dir = PyUnicode_FromString(package_dir);
	if (sys_path == NULL || host_dir == NULL || PyList_Insert(sys_path, 0, host_dir) < 0)
		fail_init("extend sys.path");
	Py_DECREF(host_dir);

	multicorn_module = PyImport_ImportModule("multicorn");
	if (multicorn_module == NULL)
		fail_init("import the multicorn package");
	traceback = PyImport_ImportModule("traceback");
	if (traceback == NULL)
		fail_init("import traceback");
	format_exception = PyObject_GetAttrString(traceback, "format_exception");
	Py_DECREF(traceback);
	if (format_exception == NULL)
		fail_init("find traceback.format_exception");
	python_ready = true;
}

/*
 * Interned names (methods, attributes) and multicorn's classes, made once per backend: the hot paths call
 * the wrapper by name several times per statement, and building and hashing a new str (or looking a class
 * up on the module) each time was measurable.
 */
#define HOST_MAX_NAMES 64

typedef struct HostNamedObject
{
	const char *text;	/* in TopMemoryContext */
	PyObject   *object; /* strong reference */
} HostNamedObject;

static HostNamedObject interned_names[HOST_MAX_NAMES];
static int			   interned_count = 0;
static HostNamedObject multicorn_attrs[HOST_MAX_NAMES];
static int			   multicorn_attr_count = 0;

static PyObject *
find_named(HostNamedObject *table, int count, const char *text)
{
	int i;

	for (i = 0; i < count; i++)
	{
		if (table[i].text == text || strcmp(table[i].text, text) == 0)
			return table[i].object;
	}
	return NULL;
}

static void
remember_named(HostNamedObject *table, int *count, const char *text, PyObject *object)
{
	if (*count >= HOST_MAX_NAMES)
		elog(ERROR, "multicorn host: more than %d cached names", HOST_MAX_NAMES);
	table[*count].text = MemoryContextStrdup(TopMemoryContext, text);
	table[*count].object = object;
	(*count)++;
}

PyObject *
host_name(const char *text)
{
	PyObject *name = find_named(interned_names, interned_count, text);

	if (name != NULL)
		return name;
	name = PyUnicode_InternFromString(text);
	if (name == NULL)
		host_raise_python_error();
	remember_named(interned_names, &interned_count, text, name);
	return name;
}

PyObject *
host_multicorn_attr(const char *name)
{
	PyObject *value;

	host_python_init();
	value = find_named(multicorn_attrs, multicorn_attr_count, name);
	if (value != NULL)
		return value;
	value = PyObject_GetAttrString(multicorn_module, name);
	host_check_python();
	remember_named(multicorn_attrs, &multicorn_attr_count, name, value);
	return value;
}

static char *
utf8_to_server(const char *text)
{
	return pg_any_to_server(text, strlen(text), PG_UTF8);
}

/* str(object) as a palloc'd UTF-8 C string; never raises (a failing __str__ gives a placeholder). */
static char *
safe_str(PyObject *object)
{
	PyObject   *text;
	const char *utf8;
	char	   *result;

	if (object == NULL)
		return pstrdup("");
	text = PyObject_Str(object);
	if (text == NULL)
	{
		PyErr_Clear();
		return pstrdup("<str() of the exception failed>");
	}
	utf8 = PyUnicode_AsUTF8(text);
	if (utf8 == NULL)
	{
		PyErr_Clear();
		Py_DECREF(text);
		return pstrdup("<exception text is not valid UTF-8>");
	}
	result = pstrdup(utf8);
	Py_DECREF(text);
	return result;
}

static char *
optional_attr_str(PyObject *object, const char *name)
{
	PyObject *value = PyObject_GetAttrString(object, name);
	char	 *result = NULL;

	if (value == NULL)
	{
		PyErr_Clear();
		return NULL;
	}
	if (value != Py_None)
		result = safe_str(value);
	Py_DECREF(value);
	return result;
}

/*
 * A wrapper that noticed PostgreSQL's interrupt flags (a cancel, statement_timeout, a terminate: a socket wait
 * that looks at them) stops and raises its own exception. PostgreSQL's error is the one the user should get,
 * with its SQLSTATE (57014, 57P01): once Python has unwound and its references are released, where the ERROR
 * would be raised, let PostgreSQL act on a pending interrupt first.
 */
static void
prefer_pending_interrupt(int elevel)
{
	if (elevel >= ERROR)
		CHECK_FOR_INTERRUPTS();
}

/*
 * Reports the pending Python exception at `elevel` (ERROR normally; WARNING where an ERROR is not allowed,
 * e.g. during COMMIT or ABORT). Every Python reference is released before ereport.
 */
void
host_report_python_error_at(int elevel)
{
	PyObject *type, *value, *tb;
	PyObject *flag;
	char	 *type_name;
	char	 *text;
	char	 *traceback_text = NULL;

	if (!PyErr_Occurred())
		return;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb != NULL && value != NULL)
		PyException_SetTraceback(value, tb);

	/* A PostgreSQL error parked while Python ran: re-throw it as it was. */
	if (parked_error != NULL && postgres_interrupt != NULL && value != NULL &&
		PyObject_IsInstance(value, postgres_interrupt) == 1)
	{
		ErrorData *edata = parked_error;

		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		parked_error = NULL;
		if (elevel >= ERROR)
			ReThrowError(edata);
		ereport(elevel, (errcode(edata->sqlerrcode), errmsg("%s", edata->message)));
		return;
	}
	parked_error = NULL;

	/* log_to_postgres(..., ERROR/CRITICAL) raised MulticornException: report its message, hint, detail. */
	flag = value != NULL ? PyObject_GetAttrString(value, "_is_multicorn_exception") : NULL;
	if (flag == NULL)
		PyErr_Clear();
	if (flag != NULL && PyObject_IsTrue(flag) == 1)
	{
		char	 *message = optional_attr_str(value, "message");
		char	 *hint = optional_attr_str(value, "hint");
		char	 *detail = optional_attr_str(value, "detail");
		PyObject *code = PyObject_GetAttrString(value, "code");
		long	  level = code != NULL ? PyLong_AsLong(code) : 3;
		int		  report_level = elevel;

		PyErr_Clear();
		Py_XDECREF(code);
		Py_DECREF(flag);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		/* multicorn2: code 3 is ERROR, anything else (CRITICAL) is FATAL. */
		if (elevel >= ERROR && level != 3)
			report_level = FATAL;
		prefer_pending_interrupt(elevel);
		ereport(report_level,
				(errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s", utf8_to_server(message != NULL ? message : "")),
				 hint != NULL ? errhint("%s", utf8_to_server(hint)) : 0,
				 detail != NULL ? errdetail("%s", utf8_to_server(detail)) : 0));
		return;
	}
	Py_XDECREF(flag);

	/* Any other exception: "Error in python: <type>", detail str(exception), traceback in the log only. */
	{
		PyObject *name = PyObject_GetAttrString(type, "__name__");

		type_name = name != NULL ? safe_str(name) : pstrdup("Exception");
		Py_XDECREF(name);
		PyErr_Clear();
	}
	text = safe_str(value);
	if (format_exception != NULL && value != NULL)
	{
		PyObject *lines = PyObject_CallFunctionObjArgs(format_exception, type, value, tb ? tb : Py_None, NULL);

		if (lines != NULL)
		{
			PyObject *empty = PyUnicode_FromString("");
			PyObject *joined = empty != NULL ? PyUnicode_Join(empty, lines) : NULL;

			if (joined != NULL)
				traceback_text = safe_str(joined);
			Py_XDECREF(joined);
			Py_XDECREF(empty);
			Py_DECREF(lines);
		}
		PyErr_Clear();
	}
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);

	prefer_pending_interrupt(elevel);
	/* multicorn2 downgrades to WARNING inside an already failed transaction block. */
	if (elevel >= ERROR && IsAbortedTransactionBlockState())
		elevel = WARNING;
	ereport(elevel, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("Error in python: %s", utf8_to_server(type_name)),
					 errdetail("%s", utf8_to_server(text)),
					 traceback_text != NULL ? errdetail_log("%s", utf8_to_server(traceback_text)) : 0));
}

void
host_raise_python_error(void)
{
	host_report_python_error_at(ERROR);
}

void
host_check_python(void)
{
	if (PyErr_Occurred())
		host_report_python_error_at(ERROR);
}

PyObject *
host_get_class(const char *dotted_name)
{
	PyObject *get_class;
	PyObject *result;

	host_python_init();
	get_class = PyObject_GetAttrString(multicorn_module, "get_class");
	host_check_python();
	result = PyObject_CallFunction(get_class, "s", dotted_name);
	Py_DECREF(get_class);
	host_check_python();
	return result;
}

/* instance.method(*args, **kwargs); a new reference, or an ERROR for a Python exception. */
PyObject *
host_call_method(PyObject *object, const char *method, PyObject *args, PyObject *kwargs)
{
	PyObject *callable = PyObject_GetAttr(object, host_name(method));
	PyObject *result;

	if (callable == NULL)
		host_raise_python_error();
	if (args == NULL && kwargs == NULL)
		result = PyObject_CallNoArgs(callable);
	else
	{
		PyObject *empty = args == NULL ? PyTuple_New(0) : NULL;

		result = PyObject_Call(callable, args != NULL ? args : empty, kwargs);
		Py_XDECREF(empty);
	}
	Py_DECREF(callable);
	if (result == NULL)
		host_raise_python_error();
	return result;
}

void
host_call_method_void(PyObject *object, const char *method, PyObject *args)
{
	PyObject *result = host_call_method(object, method, args, NULL);

	Py_DECREF(result);
}
