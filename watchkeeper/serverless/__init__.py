"""Reading a Serverless Framework ``serverless.yml``: service, stage, region, function names.

For monitoring functions that the Serverless Framework deploys: watchkeeper needs their
deployed names, which follow the framework's rule ``<service>-<stage>-<function key>``
unless a function sets ``name:``. Only the values that decide those names are read, the
way the framework (v3/v4) reads them:

- ``${self:<path>}`` (any value, also inside included files, which see the whole
  configuration as the framework does); ``${self:service}`` also with the v1/v2 object form
  ``service: {name: ...}``;
- ``${opt:stage}`` / ``${sls:stage}`` (the ``stage`` argument: ``--stage``),
  ``${opt:region}`` / ``${aws:region}`` (the ``region`` argument: the region the monitoring
  is deployed to, which is where the functions must be), ``${aws:accountId}``;
- ``${env:<NAME>}`` (the ``env`` argument, default the process environment);
- ``${param:<name>}``: the ``params`` argument (``--param``), then ``stages.<stage>.params``
  and ``stages.default.params`` (v4), ``params.<stage>`` and ``params.default`` (v3);
- ``${file(path)}`` and ``${file(path):a.b}`` for YAML and JSON files (other extensions
  are read as text), paths relative to the service directory (the directory of
  serverless.yml; the framework resolves every ``file()`` path from there, also in
  included files), nested; ``functions:`` as a list of mappings and ``${file(...)}``
  entries, merged as the framework merges them;
- fallbacks (``${opt:stage, 'dev'}``, ``${env:X, self:provider.stage}``) exactly where
  the framework takes them: when a source has no value. A source whose value is only known
  when the framework runs (``${ssm:...}``, ``${cf:...}``, ``${file(x.js)}``...) is an
  error, never skipped for its fallback;
- YAML as the framework's parser reads it: ``<<:`` merge keys, a tab after a value,
  YAML 1.2 scalars (``yes`` is a string).

Every value that cannot be resolved is reported with the file, line, variable and fix.
Other sections (environment variables, resources, events) are never read.

The modules, each depending only on those above it:

- ``errors``: ``ServerlessConfigError`` and the fix it names when a value is only known
  at deploy time;
- ``yaml_loader``: files read and composed as the framework's YAML parser reads them;
- ``variable_syntax``: the parser of ``${source(params):address, fallback}``;
- ``resolver``: values resolved as the framework resolves them (sources, fallbacks,
  ``file()`` includes, params, ``<<:`` merges);
- ``config``: ``read_serverless_config`` and what it returns (service, stage, region,
  functions and their deployed names), and ``monitoring_service_name``.

The public names are re-exported by ``watchkeeper.serverless_config``; import them from
there. Standard library and PyYAML only (no aws-cdk-lib).
"""
