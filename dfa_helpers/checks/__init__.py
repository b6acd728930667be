"""Checkers for the exercises: one function per exercise, each comparing a student's
function with the library's reference on several random cases and printing pass or FAIL
with what differed. Each returns True (pass), False (fail) or None (the stub is not
written yet), so that a solution can ``assert dh.checks.check_...(my_function)``."""
from .core import compare, not_written, run_student
from .averaging import *  # chapters 7 and 8
from .mnist import *  # chapter 5
from .xor import *  # chapter 4
from .angles import *  # chapter 6
from .perceptron import *  # chapter 1
from .backprop import *  # chapter 2
from .cost import *  # chapter 9
from .alignment import *  # chapter 11
from .dfa import *  # chapters 3 and 3b
from .deep import *  # chapter 10
