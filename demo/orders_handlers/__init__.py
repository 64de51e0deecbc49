"""Lambda handler code of the demo orders service.

This directory is the functions' code asset: Lambda puts it on ``sys.path``, so the modules
import each other as top-level modules (``import orders_common``). ``watchkeeper.runtime``
comes from the watchkeeper runtime layer. The stack imports only ``order_status`` from here.
"""
