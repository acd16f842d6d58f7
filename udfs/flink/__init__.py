"""Thin PyFlink wrappers around the plain-Python logic of udfs/."""
