; Included by CPack's NSIS script in the uninstall section (CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS).
; Removes exactly what register_run_config.nsh added; .yaml's own association is left alone.

DeleteRegKey SHCTX "Software\Classes\PeftStudio.RunConfig"
DeleteRegValue SHCTX "Software\Classes\.yaml\OpenWithProgids" "PeftStudio.RunConfig"
DeleteRegValue SHCTX "Software\Classes\.yml\OpenWithProgids" "PeftStudio.RunConfig"
DeleteRegKey SHCTX "Software\Classes\SystemFileAssociations\.yaml\shell\PeftStudio"
DeleteRegKey SHCTX "Software\Classes\Applications\peft-studio.exe"
System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
