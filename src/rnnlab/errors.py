"""User-facing errors: one clear message naming what is wrong and what to do."""


class RnnlabError(Exception):
    """An error caused by user input (config, corpus file, download, device request).

    The CLI prints ``error: <message>`` and exits with status 2 instead of a traceback.
    """


class ConfigError(RnnlabError):
    """The configuration is invalid; the message names the key."""


class CorpusError(RnnlabError):
    """A corpus file is missing or malformed; the message names file and line."""


class DownloadError(RnnlabError):
    """A download failed; the message names the URL(s) and the mirror option."""
