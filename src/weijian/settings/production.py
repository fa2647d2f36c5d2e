from weijian.settings.base import *  # noqa: F403
