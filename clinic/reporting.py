"""Error reports (the email Django sends ADMINS on a 500) say where it broke, never what a patient sent.

Stock Django hides only what a view marks with sensitive_post_parameters or
sensitive_variables. Here, with DEBUG off, every POST value, every local variable
and every uploaded file name is hidden, so a view that forgets a decorator cannot
mail a patient's answers in clear text. DEBUG on (a developer's machine with demo
data) keeps Django's full report.
"""

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter


class PatientSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class PatientSafeExceptionReporter(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        # A photo's file name can be the patient's name ("jane-doe-lips.jpg").
        if "request_FILES_items" in data and self.filter.is_active(self.request):
            data["request_FILES_items"] = [(name, self.filter.cleansed_substitute) for name in self.request.FILES]
        return data
