import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunite.settings")

application = get_wsgi_application()

# The objects of a started Django (some 340,000: modules, models, URL patterns, the
# translation catalogues) live as long as the process. Frozen, the collector no longer
# walks them: otherwise each full collection holds every thread of the process for a
# quarter of a second, every few hundred signatures (bin/serve, `make bench`).
gc.freeze()
