;;; emacs_driver.el --- run by test_real_editors.py in `emacs -Q --batch'  -*- lexical-binding: t; -*-

;; Load the shipped Lantern config, open each sample file, wait (polling, bounded) for
;; Lantern's diagnostic on the expected line, ask for code actions there with eglot's own
;; `eglot-code-actions', and write what was seen as JSON.

;;; Code:

(require 'package)
(require 'json)
(require 'subr-x)

;; `emacs -Q' skips site-lisp, where Debian's elpa-eglot lives: find it as a package.
(add-to-list 'package-directory-list (getenv "LANTERN_ELPA_DIR"))
(package-initialize)
(setq confirm-kill-processes nil)

(defvar driver-messages '()
  "Every window/showMessage the server sent: a warning means the config was not accepted.")

(with-eval-after-load 'eglot
  (cl-defmethod eglot-handle-notification :before
    (_server (_method (eql window/showMessage)) &key type message)
    (push `(("type" . ,type) ("message" . ,message)) driver-messages)))

(defvar driver-timeout (/ (string-to-number (getenv "LANTERN_TEST_WAIT_MS")) 1000.0))

(defun driver-wait (predicate)
  "Poll PREDICATE while processing server output, for at most `driver-timeout'."
  (let ((deadline (+ (float-time) driver-timeout)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall predicate)))

(defun driver-lsp-diagnostics ()
  "Lantern's diagnostics in this buffer, as the LSP objects eglot received."
  (delq nil
        (mapcar (lambda (diag)
                  (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diag)))))
                    (and lsp (equal (plist-get lsp :source) "lantern") lsp)))
                (flymake-diagnostics))))

(defun driver-line (lsp)
  (plist-get (plist-get (plist-get lsp :range) :start) :line))

(defun driver-on-line-p (line)
  (seq-some (lambda (lsp) (eql (driver-line lsp) line)) (driver-lsp-diagnostics)))

(defun driver-exercise-commands ()
  "Run the config's generate, explain and fix with point on line 2 of this buffer.
The server is made to advertise every command, and requests are recorded instead of
sent: the AI commands are not in the server yet, their argument shapes are."
  (let* ((server (eglot-current-server))
         (capabilities (eglot--capabilities server))
         (sent '()))
    (setf (eglot--capabilities server)
          (append '(:executeCommandProvider
                    (:commands ["lantern.generate" "lantern.explain" "lantern.fix"]))
                  capabilities))
    (unwind-protect
        (cl-letf (((symbol-function 'jsonrpc-request)
                   (lambda (_server method params &rest _)
                     (push `(("method" . ,(substring (symbol-name method) 1))
                             ("params" . ,params))
                           sent)
                     nil)))
          (goto-char (point-min))
          (forward-line 1)
          (move-to-column 4)
          (lantern-generate "totals per month" "function")
          (lantern-explain (point-min) (line-end-position))
          (lantern-fix))
      (setf (eglot--capabilities server) capabilities))
    (vconcat (nreverse sent))))

(defvar driver-sent [] "What `driver-exercise-commands' recorded.")

(defun driver-visit (path line &optional exercise)
  (find-file path)
  ;; Batch mode has no command loop and no redisplay: run what they would. eglot-ensure
  ;; connects on the next command (post-command-hook); Flymake starts checking a buffer once
  ;; it is displayed (window-configuration-change-hook).
  (run-hooks 'post-command-hook)
  (run-window-configuration-change-hook)
  (let* ((attached (driver-wait (lambda () (eglot-current-server))))
         (seen (and attached (driver-wait (lambda () (driver-on-line-p line)))))
         (actions
          ;; Only ask a server that offers code actions; others answer with an error.
          (when (and seen (eglot--server-capable :codeActionProvider))
            (save-excursion
              (goto-char (point-min))
              (forward-line line)
              (eglot-code-actions (line-beginning-position) (line-end-position))))))
    (when (and exercise seen)
      (setq driver-sent (driver-exercise-commands)))
    `(("attached" . ,(if attached t :json-false))
      ("code_action_provider"
       . ,(if (and attached (eglot--server-capable :codeActionProvider)) t :json-false))
      ("diagnostics"
       . ,(vconcat (mapcar (lambda (lsp)
                             `(("line" . ,(driver-line lsp))
                               ("code" . ,(plist-get lsp :code))
                               ("message" . ,(plist-get lsp :message))))
                           (driver-lsp-diagnostics))))
      ("actions" . ,(vconcat (mapcar (lambda (action) (plist-get action :title)) actions)))
      ("commands"
       . ,(vconcat (seq-filter #'fboundp '(lantern-fix-all lantern-generate lantern-explain lantern-fix lantern-status)))))))

(let ((result '()) (errors '()))
  (condition-case err
      (progn
        (load (getenv "LANTERN_EMACS_CONFIG") nil t)
        (seq-doseq (file (json-read-from-string (getenv "LANTERN_TEST_FILES")))
          (let ((path (cdr (assq 'path file))) (line (cdr (assq 'line file))))
            (push (cons path (driver-visit path line (eq (cdr (assq 'exercise file)) t)))
                  result))))
    (error (push (error-message-string err) errors)))
  (with-temp-file (getenv "LANTERN_TEST_OUT")
    (insert (json-encode `(("files" . ,(or (nreverse result) (make-hash-table)))
                           ("messages" . ,(vconcat (nreverse driver-messages)))
                           ("sent" . ,driver-sent)
                           ("errors" . ,(vconcat (nreverse errors))))))))

(kill-emacs 0)
;;; emacs_driver.el ends here
